"""The stores' probe: what Prometheus cannot scrape from the app — each database member's role,
replication and load, Redis, Elasticsearch, the last backups, the disks, the edge's access log
and its WAF's audit log — exported as orchid_* metrics for the cause alerts and the dashboards.

    probe = StoreProbe(targets, disks=[Path("/var/lib/orchid")], edge_log=None)
    probe.start(interval=5.0)        # one thread per store: a hung server delays only its own
    REGISTRY.register(probe)         # a scrape reads the latest readings, never waits

A store that does not answer is reported down (0), never left out: an absent series fires no
alert.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import redis
import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from orchid.ops import backup, mysql, topology
from orchid.ops.targets import Cluster, Targets

log = structlog.get_logger("orchid.probe")
DB_STATUS = {  # SHOW GLOBAL STATUS variable → (metric, counter?)
    "Questions": ("orchid_db_queries_total", True),
    "Threads_connected": ("orchid_db_connections", False),
    "Threads_running": ("orchid_db_threads_running", False),
    "Innodb_buffer_pool_read_requests": ("orchid_db_innodb_buffer_pool_read_requests_total", True),
    "Innodb_buffer_pool_reads": ("orchid_db_innodb_buffer_pool_disk_reads_total", True),
    "Innodb_row_lock_waits": ("orchid_db_innodb_row_lock_waits_total", True),
    "Innodb_data_fsyncs": ("orchid_db_innodb_fsyncs_total", True),
}
REDIS_INFO = {
    "connected_clients": ("orchid_redis_connected_clients", False),
    "used_memory": ("orchid_redis_used_memory_bytes", False),
    "total_commands_processed": ("orchid_redis_commands_total", True),
    "keyspace_hits": ("orchid_redis_keyspace_hits_total", True),
    "keyspace_misses": ("orchid_redis_keyspace_misses_total", True),
}
COLORS = ("green", "yellow", "red")


@dataclass
class Reading:
    """One store's latest samples: (metric, labels, value, counter?)."""

    samples: list[tuple[str, dict[str, str], float, bool]] = field(default_factory=list)

    def add(self, name: str, value: float, labels: dict[str, str] | None = None, *,
            counter: bool = False) -> None:
        self.samples.append((name, labels or {}, float(value), counter))


def read_database(cluster: Cluster, *, timeout: float = 3,
                  via: mysql.Connections | None = None) -> Reading:
    """Each member: up, writable, replication threads and lag, and a few status counters."""
    reading = Reading()
    where = {"database": cluster.database}
    for state in topology.read(cluster, timeout=timeout, via=via).states:
        at = {**where, "member": state.name}
        reading.add("orchid_db_member_up", state.reachable, at)
        reading.add("orchid_db_member_writable", state.role == "primary", at)
        if state.role == "replica":
            running = state.io_running == "Yes" and state.sql_running == "Yes"
            reading.add("orchid_db_replication_running", running, at)
            if state.seconds_behind is not None:
                reading.add("orchid_db_replication_lag_seconds", state.seconds_behind, at)
        if state.reachable:
            reading.samples += _status(cluster, state.name, at, timeout, via)
    return reading


def _status(cluster: Cluster, name: str, at: dict[str, str], timeout: float,
            via: mysql.Connections | None) -> list[tuple[str, dict[str, str], float, bool]]:
    names = ", ".join(f"'{variable}'" for variable in DB_STATUS)
    try:
        rows = mysql.run(cluster.member(name), cluster.admin,
                         f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})", timeout=timeout,
                         via=via)
    except mysql.SqlFailed:
        return []
    found = []
    for row in rows:
        metric, counter = DB_STATUS[str(row["Variable_name"])]
        found.append((metric, at, float(row["Value"] or 0), counter))
    return found


def read_redis(url: str, *, timeout: float = 2) -> Reading:
    """PING and INFO: up, clients, memory, commands, keyspace hits and misses."""
    reading = Reading()
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
        info = client.info()
    except redis.RedisError:
        reading.add("orchid_redis_up", 0)
        return reading
    finally:
        client.close()
    reading.add("orchid_redis_up", 1)
    for key, (metric, counter) in REDIS_INFO.items():
        reading.add(metric, float(info.get(key, 0)), counter=counter)
    return reading


def read_elasticsearch(url: str, *, timeout: float = 2) -> Reading:
    """Cluster health (up, colour, unassigned shards) and the searches it has served."""
    reading = Reading()
    try:
        with httpx.Client(base_url=url, timeout=timeout) as client:
            health = client.get("/_cluster/health").raise_for_status().json()
            stats = client.get("/_stats/search").raise_for_status().json()
    except (httpx.HTTPError, ValueError):
        reading.add("orchid_elasticsearch_up", 0)
        return reading
    reading.add("orchid_elasticsearch_up", 1)
    for color in COLORS:
        reading.add("orchid_elasticsearch_cluster_status", health.get("status") == color,
                    {"color": color})
    reading.add("orchid_elasticsearch_unassigned_shards", health.get("unassigned_shards", 0))
    queries = stats.get("_all", {}).get("primaries", {}).get("search", {}).get("query_total", 0)
    reading.add("orchid_elasticsearch_queries_total", queries, counter=True)
    return reading


def read_backups(targets: Targets) -> Reading:
    """When each database's newest complete base backup finished."""
    reading = Reading()
    for database in targets.clusters:
        finished = [b.finished for b in backup.bases(targets, database)]
        if finished:
            reading.add("orchid_backup_last_success_timestamp_seconds",
                        max(finished).timestamp(), {"database": database})
    return reading


def read_disks(paths: Iterable[Path]) -> Reading:
    """Free and total bytes of the filesystem holding each path."""
    reading = Reading()
    for path in paths:
        usage = shutil.disk_usage(path)
        reading.add("orchid_disk_avail_bytes", usage.free, {"path": str(path)})
        reading.add("orchid_disk_size_bytes", usage.total, {"path": str(path)})
    return reading


class LogTail:
    """A JSON-lines log read from where it was left (a rotated or truncated log is read from
    its start; a half-written last line waits for the next read)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def new_entries(self) -> Iterator[dict[str, object]]:
        if not self.path.exists():
            return
        if self.path.stat().st_size < self.offset:
            self.offset = 0
        with self.path.open("rb") as lines:
            lines.seek(self.offset)
            for line in lines:
                if not line.endswith(b"\n"):
                    break  # half-written: read it whole next time
                self.offset += len(line)
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry


class EdgeLog:
    """Counts the edge's answers by status class and by why it blocked (its JSON access log)."""

    def __init__(self, path: Path) -> None:
        self.tail = LogTail(path)
        self.counts: dict[tuple[str, str], int] = {}

    def read(self) -> Reading:
        for entry in self.tail.new_entries():
            self._count(entry)
        reading = Reading()
        for (status, block), count in sorted(self.counts.items()):
            reading.add("orchid_edge_requests_total", count,
                        {"status": status, "block": block}, counter=True)
        return reading

    def _count(self, entry: dict[str, object]) -> None:
        try:
            status = int(str(entry["status"]))
        except (ValueError, KeyError):
            return
        block = str(entry.get("block") or "")
        if not block and status == 403:
            block = "waf"  # nginx named no reason: ModSecurity refused it
        elif not block and status == 429:
            block = "rate_limit"
        key = (f"{status // 100}xx", block)
        self.counts[key] = self.counts.get(key, 0) + 1


# CRS's own bookkeeping rules, in every blocked request: the anomaly score's verdict (949xxx)
# and the correlation report (980xxx) say that it blocked, not why.
WAF_VERDICT_RULES = ("949", "980")


class WafLog:
    """Counts the ModSecurity rules that matched in the requests it refused, from its JSON
    audit log (`SecAuditLogFormat JSON`): what the edge dashboard's "blocks by rule" shows."""

    def __init__(self, path: Path) -> None:
        self.tail = LogTail(path)
        self.counts: dict[str, int] = {}

    def read(self) -> Reading:
        for entry in self.tail.new_entries():
            self._count(entry)
        reading = Reading()
        for rule, count in sorted(self.counts.items()):
            reading.add("orchid_waf_rule_matches_total", count, {"rule": rule}, counter=True)
        return reading

    def _count(self, entry: dict[str, object]) -> None:
        transaction = entry.get("transaction")
        if not isinstance(transaction, dict):
            return
        response = transaction.get("response")
        if not isinstance(response, dict) or response.get("http_code") != 403:
            return  # the audit log also keeps the app's own 4xx and 5xx, matched by no rule
        rules = set()
        for message in transaction.get("messages") or []:
            details = message.get("details") if isinstance(message, dict) else None
            rule = str(details.get("ruleId", "")) if isinstance(details, dict) else ""
            if rule.isdigit() and not rule.startswith(WAF_VERDICT_RULES):
                rules.add(rule)
        for rule in rules:
            self.counts[rule] = self.counts.get(rule, 0) + 1


class StoreProbe(Collector):
    """Reads every store on its own thread; Prometheus collects the latest readings."""

    def __init__(self, targets: Targets, *, disks: Iterable[Path] = (),
                 edge_log: Path | None = None, waf_log: Path | None = None,
                 extra: dict[str, Callable[[], Reading]] | None = None) -> None:
        self.connections = mysql.Connections()  # read every 5 s: kept, not reopened
        self.readers: dict[str, Callable[[], Reading]] = {
            f"db-{name}": partial(read_database, cluster, via=self.connections)
            for name, cluster in targets.clusters.items()}
        if targets.redis_url:
            url = targets.redis_url
            self.readers["redis"] = lambda: read_redis(url)
        if targets.elasticsearch_url:
            es = targets.elasticsearch_url
            self.readers["elasticsearch"] = lambda: read_elasticsearch(es)
        if targets.clusters:
            self.readers["backups"] = lambda: read_backups(targets)
        folders = list(disks)
        if folders:
            self.readers["disks"] = lambda: read_disks(folders)
        if edge_log is not None:
            self.readers["edge"] = EdgeLog(edge_log).read
        if waf_log is not None:
            self.readers["waf"] = WafLog(waf_log).read
        self.readers.update(extra or {})  # e.g. Cloud SQL's readers (monitoring/cloud.py)
        self.latest: dict[str, Reading] = {}
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def read_all(self) -> None:
        """Read every store once, in this thread (the CLI's --once and the tests)."""
        for name, reader in self.readers.items():
            self._read(name, reader)

    def start(self, *, interval: float) -> None:
        """Read each store every `interval` seconds on its own daemon thread."""
        for name, reader in self.readers.items():
            thread = threading.Thread(target=self._loop, args=(name, reader, interval),
                                      name=f"probe-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.connections.close()

    def _loop(self, name: str, reader: Callable[[], Reading], interval: float) -> None:
        while not self.stopping.is_set():
            self._read(name, reader)
            self.stopping.wait(interval)

    def _read(self, name: str, reader: Callable[[], Reading]) -> None:
        try:
            self.latest[name] = reader()
        except Exception as error:  # a reader's bug must not stop the others
            log.warning("probe_failed", store=name, error=f"{type(error).__name__}: {error}")

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for reading in list(self.latest.values()):
            for metric, labels, value, counter in reading.samples:
                family = families.get(metric)
                if family is None:
                    kind = CounterMetricFamily if counter else GaugeMetricFamily
                    family = families[metric] = kind(
                        metric.removesuffix("_total"), metric.replace("_", " "),
                        labels=sorted(labels))
                family.add_metric([labels[k] for k in sorted(labels)], value)
        yield from families.values()
