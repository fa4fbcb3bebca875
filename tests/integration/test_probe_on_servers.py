"""The stores' probe against real servers: database roles and replication, Redis, Elasticsearch,
and a hung member reported down within the probe's timeout (not waited on)."""

from __future__ import annotations

import os
import signal
import time

from orchid.monitoring.probe import read_database, read_elasticsearch, read_redis
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


def test_a_hung_replica_is_reported_down_without_waiting_for_it(
        main_db_pair: MariaDBPair) -> None:
    cluster = cluster_of(main_db_pair, "main", ["main-a", "main-b"])
    replica = main_db_pair.replicas[0]
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        samples = read_database(cluster, timeout=2).samples
        took = time.monotonic() - began
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    assert values(samples, "orchid_db_member_up") == {"main-a": 1, "main-b": 0}
    assert values(samples, "orchid_db_member_writable") == {"main-a": 1, "main-b": 0}
    assert took < 10, took  # bounded by the timeout, not by the hung server


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
