"""Integers as the API takes them: a JSON body carries a number, a query string its digits.

    Paise = Annotated[int, Field(ge=1, le=MAX_PAISE), JsonInt]     # {"price_paise": 49900}
    limit: Annotated[int, Field(ge=1, le=100), QueryInt] = 24      # ?limit=20

pydantic's lax mode reads `true` as 1 and `"5"` as 5, so a staff price of `true` set a price
of 1 paise and `"quantity": true` put one more in the bag. Every field carrying paise, a
quantity, an id or a count ends its annotation with one of these markers:

- `JsonInt` (bodies): a JSON number with no fraction — `5`, or `5.0`, which JSON Schema's
  `integer` also admits; never a bool, a string or `5.5`.
- `QueryInt` (query parameters, which arrive as text): its plain decimal digits ("20", "-3");
  never "true", "2_0", " 20", "+20" or "20.0".

They go last, after the bounds: pydantic documents bounds placed outside a validator as
unknown `ge`/`le` keywords instead of `minimum`/`maximum`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = ["JsonInt", "QueryInt"]

_DIGITS = re.compile(r"-?[0-9]{1,20}")  # 20 digits hold any 64-bit value; bounds come after


def _from_json(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value  # the strict int refuses bools, strings and fractions


def _from_digits(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a whole number in digits")
    return int(value)


class _Marker:
    """Make the integer before it strict, reading its input with `read` first."""

    def __init__(self, read: Callable[[Any], Any]) -> None:
        self.read = read

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        if inner.get("type") != "int":
            raise TypeError("JsonInt and QueryInt mark an int annotation, after its bounds")
        return core_schema.no_info_before_validator_function(self.read, {**inner, "strict": True})


JsonInt = _Marker(_from_json)
QueryInt = _Marker(_from_digits)
