"""MariaDB and Redis that require TLS from a local CA: the app verifies them, plain connections
and clients trusting another CA are refused, and replicas fetch the binlog over verified TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from orchid.kit.db import make_engine, server_tls
from orchid.kit.kv import RedisStore
from orchid.stack.ca import ServerTls, ensure_server_tls
from orchid.stack.servers import (
    binary,
    master_tls_sql,
    redis_cli_target,
    redis_ping,
    redis_url,
)
from tests.support.servers import MariaDBPair, Redis
from tests.support.waiting import until

DB = "orchid_tls"
NO_RETRY = Retry(NoBackoff(), 0)  # a refusal is the answer: no second try


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ServerTls:
    """A fresh CA and a server certificate signed by it."""
    return ensure_server_tls(tmp_path_factory.mktemp("ca") / "tls", "server")


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another CA, which signed none of the servers' certificates."""
    return ensure_server_tls(tmp_path_factory.mktemp("other-ca") / "tls", "server").ca


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, tls: ServerTls) -> Iterator[MariaDBPair]:
    base = tmp_path_factory.mktemp("tls-mariadb")
    servers = MariaDBPair.start(base, [DB], tls=tls)
    yield servers
    servers.stop()
    for datadir in base.glob("*/data"):
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory, tls: ServerTls) -> Iterator[Redis]:
    server = Redis.start(tmp_path_factory.mktemp("tls-redis"), tls=tls)
    yield server
    server.stop()


def with_ca(url: str, ca: Path | None) -> str:
    """The URL trusting `ca` instead (or, given None, without TLS at all)."""
    plain = url.split("&ssl_ca=", 1)[0]
    return plain if ca is None else f"{plain}&ssl_ca={ca}"


# --- the CA ------------------------------------------------------------------------------------

def test_keys_are_private_and_the_certificate_names_the_loopback_address(tls: ServerTls) -> None:
    keys = sorted(tls.key.parent.glob("*-key.pem"))
    assert [k.name for k in keys] == ["ca-key.pem", "server-key.pem"]
    assert {k.stat().st_mode & 0o777 for k in keys} == {0o600}
    text_form = subprocess.run(["openssl", "x509", "-in", str(tls.cert), "-noout", "-ext",
                                "subjectAltName"], capture_output=True, text=True, check=True)
    assert "IP Address:127.0.0.1" in text_form.stdout
    again = ensure_server_tls(tls.ca.parent, "server")  # made once: a second call keeps them
    assert again == tls and again.cert.read_bytes() == tls.cert.read_bytes()


def test_the_url_takes_only_the_ca() -> None:
    url = make_url("mysql+asyncmy://u:p@127.0.0.1:1/db?charset=utf8mb4&ssl_ca=/x/ca.pem")
    with pytest.raises(FileNotFoundError):  # the CA is loaded when the engine is made
        server_tls(url)
    with pytest.raises(ValueError, match="ssl_check_hostname"):
        server_tls(make_url(f"{url}&ssl_check_hostname=false"))
    stripped, args = server_tls(make_url("mysql+asyncmy://u:p@127.0.0.1:1/db?charset=utf8mb4"))
    assert args == {} and stripped.query == {"charset": "utf8mb4"}


# --- MariaDB -----------------------------------------------------------------------------------

async def test_the_app_engine_verifies_the_server_and_speaks_tls(pair: MariaDBPair) -> None:
    engine = make_engine(pair.primary.url(DB), pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')"
            ))).all()
    finally:
        await engine.dispose()
    status = {str(name): str(value) for name, value in rows}
    assert status["Ssl_cipher"] != ""
    assert status["Ssl_version"] in ("TLSv1.2", "TLSv1.3")


async def test_a_plain_connection_is_refused(pair: MariaDBPair) -> None:
    assert pair.primary.sql("SELECT @@require_secure_transport") == [("1",)]
    url = pair.primary.url(DB)
    engine = make_engine(with_ca(url, None), pool_size=1)
    try:
        with pytest.raises(OperationalError) as refused:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    # MariaDB 10.11 answers a plain TCP login "access denied" (MySQL says 3159, "insecure
    # transport"): the same user and password are let in over TLS.
    assert refused.value.orig is not None and refused.value.orig.args[0] == 1045
    secure = make_engine(url, pool_size=1)
    try:
        async with secure.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await secure.dispose()


async def test_a_client_trusting_another_ca_refuses_the_server(pair: MariaDBPair,
                                                               other_ca: Path) -> None:
    engine = make_engine(with_ca(pair.primary.url(DB), other_ca), pool_size=1)
    try:
        with pytest.raises((OperationalError, ssl.SSLError)) as refused:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert "certificate verify failed" in str(refused.value)


def test_a_replica_fetches_over_verified_tls(pair: MariaDBPair) -> None:
    pair.primary.sql("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, note VARCHAR(20));"
                     "INSERT INTO t VALUES (1, 'over tls')", DB)
    pair.wait_replicated()
    assert pair.replicas[0].sql("SELECT note FROM t WHERE id = 1", DB) == [("over tls",)]
    status = pair.replicas[0].slave_status()
    assert (status["Master_SSL_Allowed"], status["Master_SSL_Verify_Server_Cert"]) == ("Yes",
                                                                                        "Yes")


def test_a_replica_trusting_another_ca_cannot_fetch(pair: MariaDBPair, tls: ServerTls,
                                                   other_ca: Path) -> None:
    replica = pair.replicas[0]
    replica.sql(f"STOP SLAVE; CHANGE MASTER TO {master_tls_sql(other_ca)}; START SLAVE")
    try:
        until(lambda: replica.slave_status()["Last_IO_Errno"] != "0", timeout=20,
              what="the replica's IO thread failing on the certificate")
        status = replica.slave_status()
        assert status["Slave_IO_Running"] != "Yes"
        # MariaDB's message for a failed verification is only "SSL connection error".
        assert "ssl connection error" in status["Last_IO_Error"].lower(), status
    finally:
        replica.sql(f"STOP SLAVE; CHANGE MASTER TO {master_tls_sql(tls.ca)}; START SLAVE")
    pair.primary.sql("INSERT INTO t VALUES (2, 'after')", DB)
    pair.wait_replicated()
    assert replica.sql("SELECT note FROM t WHERE id = 2", DB) == [("after",)]


# --- Redis -------------------------------------------------------------------------------------

async def test_the_app_store_verifies_redis_and_works(tls_redis: Redis) -> None:
    url = tls_redis.url()
    assert url.startswith("rediss://")
    store = RedisStore.from_url(url, timeout=2.0)
    try:
        assert await store.ping()
        await store.client.set("tls-key", b"secret")
        assert await store.get("tls-key") == b"secret"
    finally:
        await store.close()
    assert redis_ping(tls_redis.port, tls_redis.tls.ca if tls_redis.tls else None)


def test_a_plain_redis_client_is_refused(tls_redis: Redis) -> None:
    with redis.Redis(host="127.0.0.1", port=tls_redis.port, socket_timeout=2,
                     retry=NO_RETRY) as plain:
        with pytest.raises(redis.ConnectionError):
            plain.ping()
    assert not redis_ping(tls_redis.port)


def test_a_redis_client_trusting_another_ca_refuses_the_server(tls_redis: Redis,
                                                                 other_ca: Path) -> None:
    with redis.Redis.from_url(redis_url(tls_redis.port, ca_file=other_ca),
                              socket_timeout=2, retry=NO_RETRY) as wrong:
        with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
            wrong.ping()
    assert not redis_ping(tls_redis.port, other_ca)


def test_redis_cli_copies_over_tls_with_the_urls_ca(tls_redis: Redis, tmp_path: Path) -> None:
    """The ops tools' way in: the Redis copy of `orchid ops backup` runs `redis-cli --rdb`."""
    dump = tmp_path / "dump.rdb"
    done = subprocess.run([binary("redis-cli"), *redis_cli_target(tls_redis.url()), "--rdb",
                           str(dump)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert dump.read_bytes().startswith(b"REDIS")
    plain = subprocess.run([binary("redis-cli"), "-u", f"redis://127.0.0.1:{tls_redis.port}/0",
                            "PING"], capture_output=True, text=True, timeout=30)
    assert plain.stdout.strip() != "PONG"
