"""A delivery estimate for a pincode: stock now, plus a days range by postal zone.

The first digit of an Indian pincode names its postal zone. The estimate is a published rule
of thumb per zone, not a courier quote, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

# First digit → (region, fastest days, slowest days).
ZONES: dict[str, tuple[str, int, int]] = {
    "1": ("North India", 2, 4),   # Delhi, Haryana, Punjab, Himachal, J&K
    "2": ("North India", 3, 5),   # Uttar Pradesh, Uttarakhand
    "3": ("West India", 3, 5),    # Rajasthan, Gujarat
    "4": ("West India", 3, 5),    # Maharashtra, Goa, Madhya Pradesh, Chhattisgarh
    "5": ("South India", 2, 4),   # Karnataka, Andhra Pradesh, Telangana
    "6": ("South India", 2, 4),   # Tamil Nadu, Kerala
    "7": ("East India", 4, 6),    # West Bengal, Odisha, the North-East
    "8": ("East India", 4, 6),    # Bihar, Jharkhand
    "9": ("Army Postal Service", 7, 10),
}


@dataclass(frozen=True)
class Estimate:
    """What the product page tells a shopper about delivery to their pincode."""

    pincode: str
    in_stock: bool
    region: str
    fastest_days: int
    slowest_days: int

    @property
    def message(self) -> str:
        """One sentence: in stock and when, or out of stock."""
        if not self.in_stock:
            return f"Out of stock for now — none to send to {self.pincode} just now."
        return (f"In stock — delivery to {self.pincode} in "
                f"{self.fastest_days}-{self.slowest_days} days")


def estimate(*, pincode: str, in_stock: bool) -> Estimate:
    """Estimate delivery to a valid pincode (see `forms.check_pincode`)."""
    region, fastest, slowest = ZONES[pincode[0]]
    return Estimate(pincode=pincode, in_stock=in_stock, region=region, fastest_days=fastest,
                    slowest_days=slowest)
