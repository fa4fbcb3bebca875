"""The OpenAPI document's error answers: every 4xx and 5xx as application/problem+json.

    install_problem_docs(app)

Routes list the errors particular to them with `problems({404: "No such product"})`. This adds
what every route shares, as kit/errors.py answers it: the schema of a problem; 400 for a body
that is not JSON and 413 for one over the size limit (routes with a body); 422 for input that
did not validate (routes with input), in place of FastAPI's own application/json 422; and 500.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from orchid.kit.errors import PROBLEM_JSON

__all__ = ["FieldError", "Problem", "document_problems", "install_problem_docs"]

REF = "#/components/schemas/Problem"
FASTAPI_422_SCHEMAS = ("HTTPValidationError", "ValidationError")


class FieldError(BaseModel):
    """One input that did not validate."""

    field: str  # e.g. "body.variants.0.price_paise" or "query.limit"
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem; `code` is stable, other members carry the data a client needs."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None  # on validation_failed and malformed_json


def _shared(operation: dict[str, Any]) -> dict[str, str]:
    """The error answers any route of this shape can give, whatever its handler does."""
    shared = {"500": "Internal error; the log has the details under the request id"}
    if "requestBody" in operation:
        shared["400"] = "The body is not valid JSON (code malformed_json)"
        shared["413"] = "The body is over the size limit"
    if "requestBody" in operation or operation.get("parameters"):
        shared["422"] = "The input did not validate (code validation_failed)"
    return shared


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every 4xx/5xx answer of `schema` a problem+json `Problem`; return `schema`."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _shared(operation).items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": REF}}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    definitions = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(definitions.pop("$defs", {}))
    components["Problem"] = definitions
    text = json.dumps(schema)
    for name in FASTAPI_422_SCHEMAS:
        if f'"#/components/schemas/{name}"' not in text:
            components.pop(name, None)
    return schema


def install_problem_docs(app: FastAPI) -> None:
    """Have `app.openapi()` document the problem+json answers (built once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
