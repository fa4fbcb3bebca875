"""The sandbox's fake bank page for 3-D Secure: plain HTML, no scripts.

Its few styles sit in one <style> element that `POLICY` allows by hash: the page needs no
static files, and its Content-Security-Policy still allows no other inline style.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from orchid.kit.headers import content_policy, source_hash
from orchid.services.payments.schemas import IntentRead

_STYLE = ("body { font-family: sans-serif; max-width: 28rem; margin: 3rem auto } "
          "form { display: inline }")
POLICY = content_policy(script_src=("'none'",), style_src=(source_hash(_STYLE),),
                        img_src=("'none'",), connect_src=("'none'",))
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Orchid sandbox bank</title><style>{style}</style></head>
<body>
<h1>Sandbox bank · 3-D Secure</h1>
{body}
</body></html>
"""


def _page(body: str) -> str:
    return _PAGE.format(style=_STYLE, body=body)


def rupees(paise: int) -> str:
    """Format paise as rupees, e.g. ₹1,299.00."""
    return f"₹{paise // 100:,}.{paise % 100:02d}"


def challenge(intent: IntentRead) -> str:
    """Ask the customer to approve or deny the payment (or say it is no longer waiting)."""
    summary = (f"<p>Order <strong>{escape(intent.order_number)}</strong>: "
               f"{escape(rupees(intent.amount_paise))} on your card ending "
               f"{escape(intent.card_last4 or '????')}.</p>")
    if intent.status != "requires_action":
        return _page(summary + f"<p>This payment is {escape(intent.status)}; "
                               "there is nothing to confirm.</p>")
    buttons = ('<form method="post" action="?result=approve">'
               '<button type="submit">Approve</button></form> '
               '<form method="post" action="?result=deny">'
               '<button type="submit">Deny</button></form>')
    return _page(summary + buttons)


def answered(*, approved: bool, order_number: str) -> str:
    """Tell the customer their answer went to the shop, with the way back to their order (a
    real bank redirects to the shop's return address; the shop's order page is ours)."""
    word = "approved" if approved else "denied"
    back = f"/orders/{quote(order_number)}" + ("?placed=1" if approved else "")
    return _page(f"<p>You {word} the payment.</p>"
                 f'<p><a href="{escape(back)}">Back to your order at Orchid</a></p>')
