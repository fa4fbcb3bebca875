"""The sandbox's fake bank page for 3-D Secure: plain HTML, no scripts."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from orchid.services.payments.schemas import IntentRead

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Orchid sandbox bank</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>Sandbox bank · 3-D Secure</h1>
{body}
</body></html>
"""


def rupees(paise: int) -> str:
    """Format paise as rupees, e.g. ₹1,299.00."""
    return f"₹{paise // 100:,}.{paise % 100:02d}"


def challenge(intent: IntentRead) -> str:
    """Ask the customer to approve or deny the payment (or say it is no longer waiting)."""
    summary = (f"<p>Order <strong>{escape(intent.order_number)}</strong>: "
               f"{escape(rupees(intent.amount_paise))} on your card ending "
               f"{escape(intent.card_last4 or '????')}.</p>")
    if intent.status != "requires_action":
        return _PAGE.format(body=summary + f"<p>This payment is {escape(intent.status)}; "
                                           "there is nothing to confirm.</p>")
    buttons = ('<form method="post" action="?result=approve" style="display:inline">'
               '<button type="submit">Approve</button></form> '
               '<form method="post" action="?result=deny" style="display:inline">'
               '<button type="submit">Deny</button></form>')
    return _PAGE.format(body=summary + buttons)


def answered(*, approved: bool, order_number: str) -> str:
    """Tell the customer their answer went to the shop, with the way back to their order (a
    real bank redirects to the shop's return address; the shop's order page is ours)."""
    word = "approved" if approved else "denied"
    back = f"/orders/{quote(order_number)}" + ("?placed=1" if approved else "")
    return _PAGE.format(body=f"<p>You {word} the payment.</p>"
                             f'<p><a href="{escape(back)}">Back to your order at Orchid</a></p>')
