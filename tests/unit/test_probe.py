"""The stores' probe's readers that need no server: the edge's access log, disks, backups, and
how readings become Prometheus families."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from orchid.monitoring.probe import (
    EdgeLog,
    Reading,
    StoreProbe,
    WafLog,
    read_backups,
    read_disks,
)
from orchid.ops.targets import Admin, Cluster, Targets


def line(status: int, block: str = "") -> str:
    return json.dumps({"status": status, "block": block, "uri": "/"}) + "\n"


def test_the_edge_log_is_counted_by_status_class_and_block_reason(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(line(200) + line(200) + line(403) + line(403, "bot") + line(429) + "junk\n"
                   + line(502)[:-3])  # the last line is half-written
    edge = EdgeLog(log)
    counts = {tuple(sorted(labels.items())): value
              for _, labels, value, _ in edge.read().samples}
    assert counts == {(("block", ""), ("status", "2xx")): 2,
                      (("block", "waf"), ("status", "4xx")): 1,
                      (("block", "bot"), ("status", "4xx")): 1,
                      (("block", "rate_limit"), ("status", "4xx")): 1}
    # The half-written line is read once whole; a rotated log is read from its start.
    with log.open("a") as out:
        out.write('"}\n')
    edge.read()
    assert edge.counts[("5xx", "")] == 1
    log.write_text(line(200))
    edge.read()
    assert edge.counts[("2xx", "")] == 3


def audited(status: int, *rules: str) -> str:
    """A transaction as ModSecurity's JSON audit log writes it (trimmed to what is read)."""
    return json.dumps({"transaction": {
        "response": {"http_code": status},
        "messages": [{"message": "m", "details": {"ruleId": rule}} for rule in rules]}}) + "\n"


def test_the_waf_log_counts_each_rule_once_per_refused_request(tmp_path: Path) -> None:
    log = tmp_path / "modsec_audit.log"
    log.write_text(audited(403, "942100", "942100", "949110", "980130")  # a rule matched twice
                   + audited(403, "941100", "949110")
                   + audited(401) + audited(500)  # the app's own answers, audited too
                   + audited(200, "920350")  # matched, scored, but let through
                   + "{}\n" + "not json\n")
    waf = WafLog(log)
    counts = {labels["rule"]: value for _, labels, value, _ in waf.read().samples}
    assert counts == {"942100": 1, "941100": 1}
    with log.open("a") as out:
        out.write(audited(403, "942100", "949110"))
    assert waf.read().samples[-1][1:3] == ({"rule": "942100"}, 2)


def test_disks_and_backups_are_read(tmp_path: Path) -> None:
    [avail, size] = read_disks([tmp_path]).samples
    assert avail[0] == "orchid_disk_avail_bytes" and 0 < avail[2] <= size[2]
    for database, finished in (("main", "2026-12-06T20:30:00+00:00"),
                               ("main", "2026-12-07T20:30:00+00:00")):
        folder = tmp_path / database / "base" / finished[:10]
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps({
            "id": finished[:10], "database": database, "kind": "full", "parent": None,
            "member": "main-replica-1", "started_at": finished, "finished_at": finished,
            "gtid": "0-1-5", "to_lsn": 1, "bytes": 1}))
    targets = Targets({}, backup_dir=tmp_path)
    assert read_backups(targets).samples == []  # no cluster named: nothing to report
    probe_targets = Targets({"main": Cluster("main", "orchid_main", (), Admin())},
                            backup_dir=tmp_path)
    [(name, labels, value, _)] = read_backups(probe_targets).samples
    assert (name, labels) == ("orchid_backup_last_success_timestamp_seconds",
                              {"database": "main"})
    assert value == 1796675400.0  # 2026-12-07T20:30:00Z


def test_readings_become_families_and_a_failing_reader_keeps_its_last(tmp_path: Path) -> None:
    probe = StoreProbe(Targets({}, backup_dir=tmp_path / "none"))
    calls = {"n": 0}

    def flaky() -> Reading:
        calls["n"] += 1
        if calls["n"] > 1:
            raise ConnectionError("gone")
        reading = Reading()
        reading.add("orchid_redis_up", 1)
        reading.add("orchid_redis_commands_total", 42, counter=True)
        reading.add("orchid_db_member_up", 0, {"database": "main", "member": "main-primary"})
        return reading

    probe.readers = {"flaky": flaky}
    registry = CollectorRegistry()
    registry.register(probe)
    for _ in range(2):
        probe.read_all()
    text = generate_latest(registry).decode()
    assert "orchid_redis_up 1.0" in text
    assert "orchid_redis_commands_total 42.0" in text
    assert 'orchid_db_member_up{database="main",member="main-primary"} 0.0' in text
