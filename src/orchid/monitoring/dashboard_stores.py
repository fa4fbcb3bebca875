"""The stores' and the edge's dashboards: databases, Redis, search and the edge/WAF — mostly the
stores' probe's metrics (monitoring/probe.py), beside what the app sees of each store."""

from __future__ import annotations

from typing import Any

from grafana_foundation_sdk.models import dashboard as model

from orchid.monitoring.dashboard_panels import (
    RANGE,
    RATE,
    Row,
    board,
    pie,
    query,
    series,
    single,
    steps,
    up_down,
)
from orchid.monitoring.probe import COLORS

MEMBER = "{{database}} {{member}}"
EDGE = "orchid_edge_requests_total"
WAF_RULES = "orchid_waf_rule_matches_total"


def _per_member(metric: str) -> str:
    return f"sum by (database, member) (rate({metric}[{RATE}]))"


def databases() -> dict[str, Any]:
    """Members and replication, load, InnoDB, the app's sessions, backups and disks."""
    members: Row = ("Members and replication", [
        up_down("Members up", "Each member answers the probe.", "orchid_db_member_up", MEMBER),
        up_down("Writable members", "The primary of each database (read_only off): exactly "
                "one per database.", "orchid_db_member_writable", MEMBER),
        up_down("Replication running", "Both replication threads (IO and SQL) of each replica.",
                "orchid_db_replication_running", MEMBER),
        series("Replication lag", "Seconds_Behind_Master of each replica, from the probe; on "
               "one machine also from the stack supervisor.",
               query("orchid_db_replication_lag_seconds", MEMBER),
               query("orchid_stack_replica_lag_seconds", "{{name}} (stack)"), unit="s",
               width=6),
    ])
    load: Row = ("Load", [
        series("Queries per second", "Statements the server ran (Questions).",
               query(_per_member("orchid_db_queries_total"), MEMBER), unit="qps", width=8),
        series("Connections", "Threads_connected.", query("orchid_db_connections", MEMBER),
               width=8),
        series("Threads running", "Threads_running: queries executing right now.",
               query("orchid_db_threads_running", MEMBER), width=8),
    ])
    reads = _per_member("orchid_db_innodb_buffer_pool_read_requests_total")
    disk_reads = _per_member("orchid_db_innodb_buffer_pool_disk_reads_total")
    innodb: Row = ("InnoDB", [
        series("Buffer pool hit ratio", "Logical reads served from the buffer pool, not disk.",
               query(f"1 - {disk_reads} / {reads}", MEMBER), unit="percentunit", width=6),
        series("Buffer pool disk reads per second", "Reads the buffer pool could not serve.",
               query(disk_reads, MEMBER), width=6),
        series("Row lock waits per second", "Innodb_row_lock_waits: contention on rows.",
               query(_per_member("orchid_db_innodb_row_lock_waits_total"), MEMBER), width=6),
        series("fsyncs per second", "Innodb_data_fsyncs.",
               query(_per_member("orchid_db_innodb_fsyncs_total"), MEMBER), width=6),
    ])
    app: Row = ("The app's sessions", [
        series("Sessions by node and role", "Database sessions the app opened, by the node "
               "that served them.", query(f"sum by (database, node, role) "
                                          f"(rate(orchid_db_sessions_total[{RATE}]))",
                                          "{{database}} {{node}} {{role}}")),
        series("Reads that skipped a replica", "By reason (lagging, down …): the read went "
               "to another node.", query(f"sum by (database, node, reason) "
                                         f"(rate(orchid_db_replica_skipped_total[{RATE}]))",
                                         "{{database}} {{node}} {{reason}}")),
    ])
    safety: Row = ("Backups and disks", [
        single("Age of the newest backup", "Since each database's newest complete base backup "
               "finished.", query("time() - orchid_backup_last_success_timestamp_seconds",
                                  "{{database}}"), unit="s", width=12,
               thresholds=steps((None, "green"), (26 * 3600, "red"))),
        single("Disk free", "Free share of the filesystem of each watched folder.",
               query("orchid_disk_avail_bytes / orchid_disk_size_bytes", "{{path}}"),
               unit="percentunit", width=12,
               thresholds=steps((None, "red"), (0.1, "orange"), (0.2, "green"))),
    ])
    return board("orchid-databases", "Orchid databases",
                 "MariaDB members, replication, load and InnoDB; the app's sessions; backups.",
                 [members, load, innodb, app, safety])


def redis() -> dict[str, Any]:
    """Redis's health and load, and the app's cache lookups."""
    hits, misses = "orchid_redis_keyspace_hits_total", "orchid_redis_keyspace_misses_total"
    server: Row = ("Server", [
        up_down("Redis up", "Redis answers PING.", "orchid_redis_up", "redis"),
        series("Connected clients", "connected_clients.",
               query("orchid_redis_connected_clients", "clients"), width=6),
        series("Memory used", "used_memory.", query("orchid_redis_used_memory_bytes", "used"),
               unit="bytes", width=6),
        series("Commands per second", "total_commands_processed.",
               query(f"rate(orchid_redis_commands_total[{RATE}])", "commands"), unit="ops",
               width=6),
        series("Keyspace hit ratio", "Key lookups that found the key.",
               query(f"rate({hits}[{RATE}]) / (rate({hits}[{RATE}]) + rate({misses}[{RATE}]))",
                     "hits"), unit="percentunit"),
    ])
    lookups = f"rate(orchid_cache_requests_total[{RATE}])"
    caches: Row = ("The app's caches", [
        series("Cache lookups by result", "hit, miss, error (the store failed: read through) "
               "or bypass.", query(f"sum by (cache, result) ({lookups})",
                                   "{{cache}} {{result}}"), unit="ops", stacked=True),
        series("Cache hit ratio", "Hits over all lookups, per cache.",
               query(f"sum by (cache) (rate(orchid_cache_requests_total{{result=\"hit\"}}"
                     f"[{RATE}])) / sum by (cache) ({lookups})", "{{cache}}"),
               unit="percentunit"),
    ])
    return board("orchid-redis", "Orchid Redis",
                 "Redis (carts, sessions, rate limits, caches) and the app's cache lookups.",
                 [server, caches])


def search() -> dict[str, Any]:
    """Elasticsearch's health and load, the fallback engine, and the search journey."""
    cluster: Row = ("Elasticsearch", [
        up_down("Elasticsearch up", "The cluster answers /_cluster/health.",
                "orchid_elasticsearch_up", "elasticsearch"),
        single("Cluster status", "The cluster's health colour (green, yellow or red).",
               query('max(orchid_elasticsearch_cluster_status{color="yellow"}) + '
                     '2 * max(orchid_elasticsearch_cluster_status{color="red"})', "status"),
               mappings=[model.ValueMap({str(value): model.ValueMappingResult(color, color)
                                         for value, color in enumerate(COLORS)})],
               thresholds=steps((None, "green"), (1, "yellow"), (2, "red"))),
        single("Unassigned shards", "Shards no node holds (yellow or red).",
               query("orchid_elasticsearch_unassigned_shards", "unassigned"),
               thresholds=steps((None, "green"), (1, "red"))),
        series("Searches per second", "Queries the primaries ran (query_total).",
               query(f"rate(orchid_elasticsearch_queries_total[{RATE}])", "queries"),
               unit="qps", width=6),
    ])
    app: Row = ("The app's searches", [
        series("Reads answered by the fallback", "Search reads the fallback engine answered "
               "because Elasticsearch failed or its circuit was open, by operation and reason.",
               query(f"sum by (operation, reason) (rate(orchid_search_fallbacks_total[{RATE}]))",
                     "{{operation}} {{reason}}"), unit="ops", width=8),
        series("Search journey: requests per second", "Recorded over 5 minutes.",
               query('journey:orchid_http_requests:rate5m{journey="search"}', "search"),
               unit="reqps", width=8),
        series("Search journey: p99 latency", "Recorded over 5 minutes.",
               query('journey:orchid_http_request_duration_seconds:p99_5m{journey="search"}',
                     "p99"), unit="s", width=8),
    ])
    return board("orchid-search", "Orchid search",
                 "Elasticsearch's health and load, the fallback engine, the search journey.",
                 [cluster, app])


def edge() -> dict[str, Any]:
    """The edge's answers by status class, and its blocks by reason."""
    blocked = f'{EDGE}{{block!=""}}'
    rules = f"sum by (rule) (rate({WAF_RULES}[{RATE}]))"
    no_country = ("The geo map knows only the allowed countries' ranges, so a refused "
                  "client's country is not known (its address is in the access log).")
    answers: Row = ("Answers", [
        series("Answers by status class", "Everything the edge answered, blocked or not.",
               query(f"sum by (status) (rate({EDGE}[{RATE}]))", "{{status}}"), unit="reqps",
               stacked=True),
        series("Blocked share", "Requests the edge refused itself over all it answered.",
               query(f"(sum(rate({blocked}[{RATE}])) or vector(0)) / "
                     f"sum(rate({EDGE}[{RATE}]))", "blocked"), unit="percentunit"),
    ])
    blocks: Row = ("Blocks", [
        series("Blocks by reason", "waf (ModSecurity), bot, crawler, geo, read_only, "
               "rate_limit.",
               query(f"sum by (block) (rate({blocked}[{RATE}]))", "{{block}}"), unit="reqps",
               stacked=True),
        pie("Blocks in the range by reason", "Why the edge refused, over the dashboard's range.",
            query(f"sum by (block) (increase({blocked}[{RANGE}]))", "{{block}}"), width=12),
        series("WAF blocks by rule", "The ten ModSecurity (CRS) rules that matched most in the "
               "requests it refused, from its audit log; one request counts once per rule, "
               "and CRS's anomaly-score verdict (949xxx, 980xxx) is left out. Look a rule up "
               "by id in /usr/share/modsecurity-crs/rules.",
               query(f"topk(10, {rules})", "{{rule}}"), unit="reqps", width=8),
        series("Geo blocks", f"Refused for the client's country. {no_country}",
               query(f'sum(rate({EDGE}{{block="geo"}}[{RATE}]))', "geo"), unit="reqps",
               width=8),
        series("Rate limited", "Refused by the edge's rate limits (429).",
               query(f'sum(rate({EDGE}{{block="rate_limit"}}[{RATE}]))', "rate_limit"),
               unit="reqps", width=8),
    ])
    return board("orchid-edge", "Orchid edge and WAF",
                 "The edge's answers and why it blocked: WAF, bots, geo, rate limits.",
                 [answers, blocks])


def all_stores() -> dict[str, dict[str, Any]]:
    """The stores' and the edge's dashboards by file stem."""
    return {"databases": databases(), "redis": redis(), "search": search(), "edge": edge()}
