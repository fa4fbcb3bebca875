"""A service answers the same through its local object and through a RemoteService."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from orchid.kit.errors import Forbidden, NotFound, install_error_handlers
from orchid.kit.placement import PeerUnavailable, RemoteService, exposed, internal_router


class Greeting(BaseModel):
    text: str
    length: int


class Greeter:
    """A toy service: two exposed methods, one private helper."""

    def __init__(self) -> None:
        self.writes = 0

    @exposed(idempotent=True)
    async def greet(self, *, name: str, times: int = 1) -> Greeting:
        if name == "nobody":
            raise NotFound("no such person", code="person_not_found", name=name)
        text = " ".join([f"Namaste {name}"] * times)
        return Greeting(text=text, length=len(text))

    @exposed()
    async def record(self, *, names: list[str]) -> list[str]:
        self.writes += 1
        return sorted(names)

    async def not_exposed(self) -> None:
        """Internal helper: not part of the interface."""


def serving_app(service: Greeter, token: str | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(internal_router("greeter", service, token=token))
    return app


def remote(app: FastAPI, token: str | None = None) -> Greeter:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://peer")
    return RemoteService.of(Greeter, "greeter", "http://peer", client, token=token)


async def test_remote_and_local_return_the_same_typed_values() -> None:
    local = Greeter()
    far = remote(serving_app(local))
    for service in (local, far):
        result = await service.greet(name="Priyā", times=2)
        assert isinstance(result, Greeting)
        assert result == Greeting(text="Namaste Priyā Namaste Priyā", length=27)
        assert await service.record(names=["b", "a"]) == ["a", "b"]
    assert local.writes == 2


async def test_domain_errors_cross_the_wire() -> None:
    far = remote(serving_app(Greeter()))
    with pytest.raises(NotFound) as raised:
        await far.greet(name="nobody")
    assert raised.value.code == "person_not_found"
    assert raised.value.data["name"] == "nobody"


async def test_unexposed_methods_are_not_callable_remotely() -> None:
    far = remote(serving_app(Greeter()))
    with pytest.raises(AttributeError):
        await far.not_exposed()


async def test_internal_token_is_required_when_configured() -> None:
    app = serving_app(Greeter(), token="s3cret-token-value")
    with pytest.raises(Forbidden):
        await remote(app).greet(name="x")
    assert (await remote(app, token="s3cret-token-value").greet(name="x")).length == 9


async def test_dead_peer_opens_the_circuit() -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    far = RemoteService.of(Greeter, "greeter", "http://dead", client)
    for _ in range(5):
        with pytest.raises(PeerUnavailable):
            await far.greet(name="x")
    assert attempts == 10  # idempotent calls are retried once
    with pytest.raises(PeerUnavailable):
        await far.greet(name="x")
    assert attempts == 10  # circuit open: no further attempt


async def test_non_idempotent_calls_are_not_retried() -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("refused", request=request)

    far = RemoteService.of(Greeter, "greeter", "http://dead",
                           httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    with pytest.raises(PeerUnavailable):
        await far.record(names=["a"])
    assert attempts == 1
