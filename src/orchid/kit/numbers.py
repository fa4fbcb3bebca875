"""Integers as the API takes them: a JSON body carries a real integer, a query string its digits.

    Paise = Annotated[JsonInt, Field(ge=1, le=MAX_PAISE)]     # {"price_paise": 49900}
    limit: Annotated[QueryInt, Field(ge=1, le=100)] = 24      # ?limit=20

pydantic's lax mode reads `true` as 1, `1.0` as 1 and `"5"` as 5, so a staff price of `true`
set a price of 1 paise and `"quantity": true` put one more in the bag. Every field carrying
paise, a quantity, an id or a count is one of these two:

- `JsonInt` (bodies): an integer and nothing else.
- `QueryInt` (query parameters, which arrive as text, so strict mode would refuse `?limit=20`):
  an integer or its plain decimal digits ("20", "-3"); never a bool, a float, "2_0", " 20",
  "+20" or "20.0".
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

__all__ = ["JsonInt", "QueryInt"]

_DIGITS = re.compile(r"-?[0-9]{1,20}")  # 20 digits hold any 64-bit value; bounds come after


def _from_digits(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # the strict int below refuses anything but an int
    if not _DIGITS.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a whole number in digits")
    return int(value)


JsonInt = Annotated[int, Strict()]
QueryInt = Annotated[int, Strict(), BeforeValidator(_from_digits)]
