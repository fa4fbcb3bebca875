"""Reading the pages' POSTed forms: url-encoded only, small, and checked field by field.

    form = await read_form(request)
    sku = form.text("sku", max_length=40)
    quantity = form.integer("quantity", low=1, high=10, default=1)

A field that breaks its rule raises `BadForm` (400), which the pages answer with a readable
error page; a form the page itself re-renders (login, address) catches it to show the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request
from pydantic import ValidationError

from orchid.kit.errors import InvalidInput
from orchid.services.accounts import validation

MAX_FORM_BYTES = 16 * 1024  # the largest page form (an address) is well under 1 KB
FORM_TYPE = "application/x-www-form-urlencoded"


class BadForm(InvalidInput):
    """A posted form is missing a field or has one that breaks its rule."""

    status, code, title = 400, "bad_form", "Please check the form"


@dataclass(frozen=True)
class Form:
    """The fields of one url-encoded form; the first value of a repeated field wins."""

    fields: dict[str, str]

    def get(self, name: str) -> str | None:
        """Return a field's raw value, or None when it was not sent."""
        return self.fields.get(name)

    def text(self, name: str, *, max_length: int = 200, required: bool = True,
             label: str | None = None) -> str:
        """Return a field stripped of surrounding spaces; empty fails when `required`."""
        value = (self.fields.get(name) or "").strip()
        what = label or name.replace("_", " ").capitalize()
        if required and not value:
            raise BadForm(f"{what} is required.", field=name)
        if len(value) > max_length:
            raise BadForm(f"{what} is too long (at most {max_length} characters).", field=name)
        return value

    def integer(self, name: str, *, low: int, high: int, default: int | None = None) -> int:
        """Return a whole number in [low, high] (`default` when the field is absent)."""
        raw = (self.fields.get(name) or "").strip()
        if not raw and default is not None:
            return default
        # str.isdigit is true of "²" and "٢", which int() refuses or reads: ASCII digits only,
        # and few enough of them that int() never meets its 4300-digit limit.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 20) or not low <= int(raw) <= high:
            raise BadForm(f"{name.capitalize()} must be a number from {low} to {high}.",
                          field=name)
        return int(raw)


def parse_form(body: bytes) -> Form:
    """Parse a url-encoded body (UTF-8)."""
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("The form is too large.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadForm("The form is not valid UTF-8.") from exc
    parsed = parse_qs(text, keep_blank_values=True, max_num_fields=50)
    return Form({name: values[0] for name, values in parsed.items()})


async def read_form(request: Request) -> Form:
    """Read the request's form; anything but a url-encoded body is refused."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM_TYPE:
        raise BadForm("Send the form from the shop's page.")
    try:
        return parse_form(await request.body())
    except ValueError as exc:  # more fields than max_num_fields
        raise BadForm("The form has too many fields.") from exc


def check_pincode(value: str) -> str:
    """Return a 6-digit Indian pincode (first digit 1–9), spaces removed, or fail."""
    try:
        return validation.check_pincode(value.replace(" ", ""))
    except ValueError as exc:
        raise BadForm("Enter a 6-digit pincode, e.g. 560034.", field="pincode") from exc


def field_messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) of each of pydantic's complaints, in the shopper's words: the field
    name ("" for the whole form) and the message without pydantic's "Value error, " prefix."""
    return [(str(error["loc"][0]) if error["loc"] else "",
             str(error["msg"]).removeprefix("Value error, ")) for error in exc.errors()]
