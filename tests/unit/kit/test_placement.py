"""A service answers the same through its local object and a RemoteService; callers are checked."""

from __future__ import annotations

from typing import Protocol, cast

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from structlog.testing import capture_logs

from orchid.kit.callers import CallerGuard, Credential, key_digest, new_key
from orchid.kit.errors import Forbidden, NotFound, install_error_handlers
from orchid.kit.placement import (
    LocalPeer,
    PeerUnavailable,
    RemoteService,
    exposed,
    internal_router,
)


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


SHOP_KEY, OTHER_KEY = new_key(), new_key()
SHOP = Credential("shop", SHOP_KEY)
OTHER = Credential("other", OTHER_KEY)


class GreetOnly(Protocol):
    """What the "other" caller declares: one method, without the optional argument."""

    async def greet(self, *, name: str) -> Greeting: ...


def guard() -> CallerGuard:
    """Shop may call both methods with every argument; other only greet, by name."""
    return CallerGuard("greeter", digests={"shop": key_digest(SHOP_KEY),
                                           "other": key_digest(OTHER_KEY)},
                       grants={"shop": {"greet": frozenset({"name", "times"}),
                                        "record": frozenset({"names"})},
                               "other": {"greet": frozenset({"name"})}})


def serving_app(service: Greeter) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(internal_router("greeter", service, methods={"greet", "record"},
                                       guard=guard()))
    return app


def remote(app: FastAPI, credential: Credential | None = SHOP) -> Greeter:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://peer")
    return RemoteService.of(Greeter, "greeter", "http://peer", client, credential=credential)


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


async def test_a_remote_peer_offers_only_the_methods_its_caller_declared() -> None:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=serving_app(Greeter())),
                               base_url="http://peer")
    far = cast(GreetOnly, RemoteService(GreetOnly, "greeter", "http://peer", client,
                                        interface=Greeter, credential=OTHER))
    assert (await far.greet(name="x")).length == 9
    with pytest.raises(AttributeError):
        await far.record(names=["a"])  # type: ignore[attr-defined]


async def test_calls_without_a_valid_caller_key_are_refused() -> None:
    app = serving_app(Greeter())
    for credential in (None, Credential("shop", OTHER_KEY), Credential("stranger", SHOP_KEY)):
        with capture_logs() as logs, pytest.raises(Forbidden) as refused:
            await remote(app, credential).greet(name="x")
        assert refused.value.status == 403 and refused.value.code == "caller_refused"
        assert [e["event"] for e in logs] == ["internal_call_refused"]
        assert logs[0]["reason"] == "no valid caller key"


async def test_a_caller_gets_only_the_methods_and_arguments_it_was_granted() -> None:
    local = Greeter()
    app = serving_app(local)
    assert (await remote(app, OTHER).greet(name="x")).length == 9
    with capture_logs() as logs, pytest.raises(Forbidden, match="not granted"):
        await remote(app, OTHER).record(names=["a"])
    assert logs[0]["caller"] == "other" and logs[0]["method"] == "record"
    with capture_logs() as logs, pytest.raises(Forbidden, match="not granted"):
        await remote(app, OTHER).greet(name="x", times=1)  # even at its default value
    assert logs[0]["reason"] == "arguments not granted: times"
    assert local.writes == 0


async def test_a_local_peer_offers_only_the_declared_methods() -> None:
    local = Greeter()
    peer = cast(Greeter, LocalPeer("greeter", lambda: local, ["greet"]))
    assert (await peer.greet(name="x")).length == 9
    with pytest.raises(AttributeError):
        await peer.record(names=["a"])


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
