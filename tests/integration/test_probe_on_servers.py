"""The stores' probe against real servers: database roles and replication, Redis, Elasticsearch,
and a hung member reported down within the probe's timeout (not waited on)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from orchid.monitoring.probe import read_database, read_elasticsearch, read_redis
from orchid.ops import mysql, topology
from tests.support.elasticsearch import Elasticsearch
from tests.support.ops import cluster_of
from tests.support.servers import MariaDBPair, Redis


def values(samples: list[tuple[str, dict[str, str], float, bool]], name: str) -> dict[str, float]:
    return {labels.get("member", ""): value for metric, labels, value, _ in samples
            if metric == name}


def test_members_report_their_roles_replication_and_load(main_db_pair: MariaDBPair) -> None:
    cluster = cluster_of(main_db_pair, "main", ["main-a", "main-b"])
    samples = read_database(cluster).samples
    assert values(samples, "orchid_db_member_up") == {"main-a": 1, "main-b": 1}
    assert values(samples, "orchid_db_member_writable") == {"main-a": 1, "main-b": 0}
    assert values(samples, "orchid_db_replication_running") == {"main-b": 1}
    assert set(values(samples, "orchid_db_replication_lag_seconds")) == {"main-b"}
    assert values(samples, "orchid_db_queries_total")["main-a"] > 0
    assert values(samples, "orchid_db_connections")["main-a"] >= 1


@pytest.fixture
def kept() -> Iterator[mysql.Connections]:
    connections = mysql.Connections()
    yield connections
    connections.close()


def test_kept_connections_read_what_the_client_reads(main_db_pair: MariaDBPair,
                                                      kept: mysql.Connections) -> None:
    cluster = cluster_of(main_db_pair, "main", ["main-a", "main-b"])
    by_client = topology.read(cluster)
    by_connection = topology.read(cluster, via=kept)
    for client, connection in zip(by_client.states, by_connection.states, strict=True):
        assert connection.reachable and connection.role == client.role
        assert (connection.io_running, connection.sql_running, connection.master) == \
            (client.io_running, client.sql_running, client.master)
        assert connection.binlog == client.binlog and connection.applied == client.applied
    # NULL, numbers and text come back as the client prints them.
    member = cluster.members[0]
    assert mysql.run(member, cluster.admin, "SELECT NULL AS n, 7 AS i, 1.50 AS d, 'x' AS t",
                     via=kept) == mysql.run(member, cluster.admin,
                                            "SELECT NULL AS n, 7 AS i, 1.50 AS d, 'x' AS t")
    with pytest.raises(mysql.SqlFailed, match="main-a"):
        mysql.run(member, cluster.admin, "SELECT no_such_column", via=kept)
    assert mysql.run(member, cluster.admin, "SELECT 1 AS one", via=kept) == [{"one": "1"}]


@pytest.mark.parametrize("kept_connections", [False, True], ids=["client", "kept"])
def test_a_hung_replica_is_reported_down_without_waiting_for_it(
        main_db_pair: MariaDBPair, kept: mysql.Connections, kept_connections: bool) -> None:
    cluster = cluster_of(main_db_pair, "main", ["main-a", "main-b"])
    via = kept if kept_connections else None
    read_database(cluster, via=via)  # kept connections: opened before the member hangs
    replica = main_db_pair.replicas[0]
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        samples = read_database(cluster, timeout=2, via=via).samples
        took = time.monotonic() - began
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    assert values(samples, "orchid_db_member_up") == {"main-a": 1, "main-b": 0}
    assert values(samples, "orchid_db_member_writable") == {"main-a": 1, "main-b": 0}
    assert took < 10, took  # bounded by the timeout, not by the hung server
    # Back again: the broken connection was dropped, and the next reading opens a new one.
    samples = read_database(cluster, via=via).samples
    assert values(samples, "orchid_db_member_up") == {"main-a": 1, "main-b": 1}


def test_redis_and_elasticsearch_up_and_down(redis_server: Redis,
                                             es_server: Elasticsearch) -> None:
    redis = values(read_redis(redis_server.url()).samples, "orchid_redis_up")
    assert redis == {"": 1}
    es = read_elasticsearch(f"http://127.0.0.1:{es_server.port}").samples
    assert values(es, "orchid_elasticsearch_up") == {"": 1}
    colours = {labels["color"]: value for metric, labels, value, _ in es
               if metric == "orchid_elasticsearch_cluster_status"}
    assert sum(colours.values()) == 1 and set(colours) == {"green", "yellow", "red"}
    # Nothing listens on a port just freed: down, not an exception.
    from orchid.stack.servers import free_port

    port = free_port()
    assert values(read_redis(f"redis://127.0.0.1:{port}/0").samples, "orchid_redis_up") == {"": 0}
    assert values(read_elasticsearch(f"http://127.0.0.1:{port}").samples,
                  "orchid_elasticsearch_up") == {"": 0}
