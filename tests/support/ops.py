"""The ops view of a test MariaDBPair: a Cluster whose members root reaches on their sockets."""

from __future__ import annotations

from collections.abc import Sequence

from orchid.ops.targets import Admin, Cluster, Member
from tests.support.servers import REPL_PASSWORD, MariaDBPair


def cluster_of(pair: MariaDBPair, database: str, names: Sequence[str]) -> Cluster:
    """Members named `names` in the servers' first order (by server id: the first primary
    first), so a name stays with its server after a failover."""
    servers = sorted(pair.members, key=lambda db: db.server_id)
    members = tuple(Member(name, "127.0.0.1", db.port, socket=db.socket_path, datadir=db.datadir)
                    for name, db in zip(names, servers, strict=False))
    return Cluster(database, f"orchid_{database}", members, Admin(),
                   replication_password=REPL_PASSWORD)
