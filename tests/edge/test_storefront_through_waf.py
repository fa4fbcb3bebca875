"""A shopper's trip through the storefront's own pages and forms, behind the WAF.

The corpus checks API requests one by one; this drives the real pages with a real session and
real CSRF tokens, so every form the storefront posts (urlencoded, with the names, addresses and
searches Indian shoppers type) reaches the app instead of the firewall's block page.
"""

from __future__ import annotations

import re

import httpx

from tests.edge.running import RunningEdge

BROWSER = {"user-agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                         "(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
           "accept": "text/html,application/xhtml+xml", "accept-language": "en-IN,hi;q=0.8"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BLOCKED = "Request blocked"  # the edge's WAF page


def _get(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    answer = client.get(path, params=params)
    assert BLOCKED not in answer.text, f"the WAF blocked GET {answer.url}"
    assert answer.status_code == 200, (answer.url, answer.status_code)
    return answer


def _post(client: httpx.Client, path: str, page: httpx.Response,
          fields: dict[str, str]) -> httpx.Response:
    token = TOKEN.search(page.text)
    assert token, f"no CSRF token on {page.url}"
    answer = client.post(path, data={"csrf_token": token.group(1), **fields})
    assert BLOCKED not in answer.text, f"the WAF blocked POST {path} {fields}"
    assert answer.status_code in (200, 303), (path, answer.status_code, answer.text[:300])
    return answer


def test_the_storefront_s_pages_and_forms_pass_the_waf(shop_edge: RunningEdge) -> None:
    base = f"http://127.0.0.1:{shop_edge.plan.http_port}"
    with httpx.Client(base_url=base, headers=BROWSER, timeout=15,
                      follow_redirects=False) as client:
        home = _get(client, "/")
        for words in ("L'Oréal Paris", "Dolce & Gabbana", "Lakmé 9 to 5 primer",
                      "सनस्क्रीन", "MAC Ruby Woo #707", "kajal; cat eye look",
                      "moisturiser SPF 50+ (under ₹500)"):
            _get(client, "/search", q=words)
        _get(client, "/search/suggest", q="l'ore")
        product = re.search(r'href="(/p/[^"?#]+)', home.text)
        assert product, "the home page links no product"
        page = _get(client, product.group(1))
        sku = re.search(r'name="sku" value="([^"]+)"', page.text)
        assert sku, f"no shade or size to pick on {product.group(1)}"
        _get(client, product.group(1), sku=sku.group(1), pincode="560034")

        _post(client, "/cart/add", page, {"sku": sku.group(1), "quantity": "2"})
        bag = _get(client, "/cart")
        _post(client, "/cart/update", bag, {"sku": sku.group(1), "quantity": "1"})

        signup = _get(client, "/register", next="/checkout")
        _post(client, "/register", signup, {
            "name": "Meera D'Souza", "email": "meera.dsouza+shop@example.in",
            "password": "Sh@kti#2024! & <3 chai", "next": "/checkout"})
        account = _get(client, "/account")
        _post(client, "/account/profile", account, {"name": "मीरा डिसूज़ा"})
        checkout = _get(client, "/checkout")
        added = _post(client, "/account/addresses", checkout, {
            "name": "Meera D'Souza", "phone": "98123 45678",
            "line1": "Flat #4, 2nd Cross; Koramangala",
            "line2": "Near St. John's Hospital & Church", "landmark": "Opp. Forum Mall (3rd gate)",
            "city": "Bengaluru", "state": "Karnataka", "pincode": "560034",
            "next": "/checkout"})
        address = re.search(r"address=([^&\s]+)", added.headers["location"])
        assert address, added.headers
        checkout = _get(client, "/checkout", address=address.group(1))
        attempt = re.search(r'name="attempt" value="([^"]+)"', checkout.text)
        assert attempt
        placed = _post(client, "/checkout", checkout, {
            "address_id": address.group(1), "payment": "cod", "attempt": attempt.group(1)})
        assert placed.headers["location"].startswith("/orders/")
        _get(client, placed.headers["location"].split("?")[0])
        _get(client, "/orders")
