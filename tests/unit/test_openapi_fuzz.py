"""Schemathesis drives every documented operation of the embedded app with generated requests.

Valid and invalid ones, anonymous and signed in: no answer may be a server error, and every
answer must match the OpenAPI document (status, content type, headers, body schema). The app
is reached through its ASGI interface, with no network; 25 examples per operation and caller.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from orchid.app import create_app
from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD, embedded_settings
from tests.support.stack import TEST_SECRET

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
CUSTOMER = {"email": "fuzz.customer@example.in", "password": "saffron-rose-fuzz-42",
            "name": "Fuzz Customer"}


@pytest.fixture(scope="module")
def fuzzed_app(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[FastAPI]:
    """The embedded app on its own seeded data dir, with a staff user; its lifespan ends here."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(migrated_template, data_dir)
    env = {**os.environ, "ORCHID_DATA_DIR": str(data_dir), "ORCHID_SECRET_KEY": TEST_SECRET,
           "ORCHID_NEW_USER_PASSWORD": STAFF_PASSWORD}
    # A small catalog, so listings, search and suggestions answer with documents to check.
    for command in (["seed", "--products", "60", "--customers", "3"],
                    ["user", "create", "--email", STAFF_EMAIL, "--role", "staff"]):
        subprocess.run([sys.executable, "-m", "orchid", *command], env=env, check=True,
                       capture_output=True)
    app = create_app(embedded_settings(data_dir))
    yield app
    # Schemathesis started the app's lifespan in its own event-loop thread on the first call.
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


@pytest.fixture(scope="module")
def tokens(fuzzed_app: FastAPI) -> dict[str, str]:
    """Bearer tokens of a customer and of the staff user, signed in through the app."""
    base = "http://testserver/api/v1/accounts"
    # Entering the client (re)starts the app's lifespan: schemathesis's plugin ends it after each
    # test, and a request outside one would run on closed databases.
    with asgi.get_client(cast(asgi.ASGIApp, fuzzed_app)) as client:  # typed for dict scopes
        registered = client.post(f"{base}/register", json=CUSTOMER)
        assert registered.status_code == 201, registered.text
        staff = client.post(f"{base}/login",
                            json={"email": STAFF_EMAIL, "password": STAFF_PASSWORD})
        assert staff.status_code == 200, staff.text
    return {"customer": registered.json()["token"], "staff": staff.json()["token"]}


# An anonymous caller of an operation that needs a session gets 401 whatever it sends: a few
# examples show that answer is documented; the signed-in runs fuzz those operations fully.
REFUSED_EXAMPLES = settings(FUZZ, max_examples=3)


def reads_a_session(operation: Any) -> bool:
    """True when the operation declares the session schemes (it reads a token; FastAPI declares
    them from the dependency, so an operation without them answers the same to anyone)."""
    return operation.definition.raw.get("security") is not None


def needs_a_session(operation: Any) -> bool:
    """True when no anonymous alternative (`{}`) is among its security requirements."""
    security = operation.definition.raw.get("security")
    return security is not None and {} not in security


def fuzz(api_schema: schemathesis.BaseSchema, headers: dict[str, str] | None = None) -> None:
    """Run every operation with valid and with invalid data; fail listing every broken one.

    Signed in (`headers`), only the operations that read a session are run: the others answer
    a signed-in caller exactly as the anonymous run already checked."""
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema fails here
        if headers and not reads_a_session(operation):
            continue
        examples = REFUSED_EXAMPLES if not headers and needs_a_session(operation) else FUZZ
        for mode in GenerationMode:

            @examples
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case[Any]) -> None:
                # Excluded: "schema-valid data must be accepted". A documented 422 is the right
                # answer to input a JSON Schema cannot rule out: a common or repetitive
                # password, a phone number outside India's numbering, a pincode no post office
                # has. Every other check runs, server errors and schema conformance included.
                case.call_and_validate(headers=headers,
                                       excluded_checks=[checks.positive_data_acceptance])

            try:
                call()
            except Unsatisfiable:
                # No invalid request can be sent: no input at all, or only a path parameter,
                # whose every invalid value schemathesis cannot put in a URL.
                if mode is not GenerationMode.NEGATIVE:
                    raise
            except (Exception, FailureGroup) as exc:  # every operation is tried and reported
                failures.append(f"{operation.label} ({mode.value} data):\n{exc}")
    assert not failures, "\n\n".join(failures)


def test_anonymous_callers_get_documented_answers(api_schema: schemathesis.BaseSchema) -> None:
    fuzz(api_schema)


def test_signed_in_customers_get_documented_answers(api_schema: schemathesis.BaseSchema,
                                                    tokens: dict[str, str]) -> None:
    fuzz(api_schema, {"Authorization": f"Bearer {tokens['customer']}"})


def test_signed_in_staff_get_documented_answers(api_schema: schemathesis.BaseSchema,
                                                tokens: dict[str, str]) -> None:
    fuzz(api_schema, {"Authorization": f"Bearer {tokens['staff']}"})
