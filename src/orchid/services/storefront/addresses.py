"""Delivery addresses from a page form: fields in, `AddressCreate` or per-field messages out."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from orchid.services.accounts.schemas import AddressCreate
from orchid.services.accounts.validation import STATES, UNION_TERRITORIES
from orchid.services.storefront.forms import Form, field_messages

FIELDS = ("name", "phone", "line1", "line2", "landmark", "city", "state", "pincode")
OPTIONAL = ("line2", "landmark")
REGIONS = sorted((*STATES, *UNION_TERRITORIES))
LABELS = {"name": "Full name", "phone": "Mobile number", "line1": "Flat, house, street",
          "line2": "Area, locality", "landmark": "Landmark", "city": "City",
          "state": "State", "pincode": "Pincode"}


@dataclass
class AddressForm:
    """The values typed into an address form and what is wrong with them."""

    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(FIELDS, ""))
    errors: dict[str, str] = field(default_factory=dict)
    make_default: bool = False


def read_address(form: Form) -> tuple[AddressCreate | None, AddressForm]:
    """Validate an address form: the address, or None and the form with its messages."""
    values = {name: (form.get(name) or "").strip()[:300] for name in FIELDS}
    typed = AddressForm(values=values, make_default=form.get("is_default") == "1")
    data: dict[str, object] = {name: value or None if name in OPTIONAL else value
                               for name, value in values.items()}
    data["is_default"] = typed.make_default
    try:
        return AddressCreate.model_validate(data), typed
    except ValidationError as exc:
        for name, message in field_messages(exc):
            name = name or "form"
            typed.errors.setdefault(name, f"{LABELS.get(name, name)} {message}"
                                    if message[:1].islower() else message)
        return None, typed
