"""Service-account identity tokens: a function admits a valid token of an allowed caller,
refuses one that is missing, expired, for another audience, signed by an unknown key or
altered (401), and one of a caller not allowed (403)."""

from __future__ import annotations

import time

import pytest

from orchid.kit.errors import Forbidden, Unauthorized
from orchid.kit.identity import ServiceAccount, Verifier, keys_of, mint

FUNCTION = "http://127.0.0.1:8123/"
ORDERS = ServiceAccount.generate("orchid-orders@orchid-local.iam.gserviceaccount.com")
STOREFRONT = ServiceAccount.generate("orchid-storefront@orchid-local.iam.gserviceaccount.com")
STRANGER = ServiceAccount.generate("someone@elsewhere.iam.gserviceaccount.com")


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(keys_of([ORDERS, STOREFRONT]), audience=FUNCTION, allowed={ORDERS.email})


def test_an_allowed_callers_token_is_admitted(verifier: Verifier) -> None:
    assert verifier.check(f"Bearer {mint(ORDERS, audience=FUNCTION)}") == ORDERS.email


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic b3JjaGlkOm9yY2hpZA==",
                                    "Bearer not.a.jwt"])
def test_no_token_or_no_jwt_is_refused(verifier: Verifier, header: str | None) -> None:
    with pytest.raises(Unauthorized) as refused:
        verifier.check(header)
    assert refused.value.status == 401


def test_an_expired_token_is_refused(verifier: Verifier) -> None:
    # Minted an hour ago for five minutes: google-auth compares with the wall clock.
    old = mint(ORDERS, audience=FUNCTION, now=time.time() - 3600)
    with pytest.raises(Unauthorized, match="[Ee]xpired|Token used too late"):
        verifier.check(f"Bearer {old}")


def test_a_token_from_the_future_is_refused(verifier: Verifier) -> None:
    early = mint(ORDERS, audience=FUNCTION, now=time.time() + 3600)
    with pytest.raises(Unauthorized, match="too early"):
        verifier.check(f"Bearer {early}")


def test_a_token_for_another_function_is_refused(verifier: Verifier) -> None:
    other = mint(ORDERS, audience="http://127.0.0.1:9999/")
    with pytest.raises(Unauthorized, match="audience"):
        verifier.check(f"Bearer {other}")


def test_a_token_signed_by_an_unknown_key_or_altered_is_refused(verifier: Verifier) -> None:
    forged = mint(ServiceAccount(ORDERS.email, ORDERS.key_id, STRANGER.private_pem,
                                 STRANGER.public_pem), audience=FUNCTION)
    with pytest.raises(Unauthorized):
        verifier.check(f"Bearer {forged}")
    header, claims, signature = mint(ORDERS, audience=FUNCTION).split(".")
    stranger_claims = mint(STRANGER, audience=FUNCTION).split(".")[1]
    with pytest.raises(Unauthorized):
        verifier.check(f"Bearer {header}.{stranger_claims}.{signature}")
    unknown = mint(STRANGER, audience=FUNCTION)  # its key id is not trusted at all
    with pytest.raises(Unauthorized):
        verifier.check(f"Bearer {unknown}")


def test_a_valid_token_of_a_caller_not_allowed_is_forbidden(verifier: Verifier) -> None:
    with pytest.raises(Forbidden) as refused:
        verifier.check(f"Bearer {mint(STOREFRONT, audience=FUNCTION)}")
    assert refused.value.status == 403 and refused.value.code == "caller_not_allowed"
