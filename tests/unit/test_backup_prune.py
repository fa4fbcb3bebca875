"""Pruning backups on disk: fulls by the policy, incrementals with their full, old binlogs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchid.ops.backup import BaseManifest, base_dir, bases, new_id, prune
from orchid.ops.retention import Policy
from orchid.ops.targets import Admin, Cluster, Targets

NIGHT = datetime(2026, 11, 1, 20, 30, tzinfo=UTC)  # 02:00 IST


def targets(tmp_path: Path) -> Targets:
    return Targets({"main": Cluster("main", "orchid_main", (), Admin())}, backup_dir=tmp_path)


def put(found: Targets, at: datetime, kind: str, parent: str | None) -> str:
    backup_id = new_id(at, kind)
    folder = base_dir(found, "main") / backup_id
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "ibdata1").write_bytes(b"x")
    BaseManifest(backup_id, "main", kind, parent, "replica-1", at.isoformat(),
                 (at + timedelta(minutes=5)).isoformat(), "0-1-1", 1, 1).write(folder)
    return backup_id


def binlog(found: Targets, name: str, written: datetime) -> Path:
    path = found.backup_dir / "main" / "binlogs" / "primary" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xfebin")
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def test_prune_keeps_the_policy_and_what_kept_backups_need(tmp_path: Path) -> None:
    found = targets(tmp_path)
    fulls, incrementals = [], []
    for night in range(10):
        at = NIGHT + timedelta(days=night)
        fulls.append(put(found, at, "full", None))
        incrementals.append(put(found, at + timedelta(hours=12), "incremental", fulls[-1]))
    old = binlog(found, "mysql-bin.000001", NIGHT + timedelta(days=5))
    spanning = binlog(found, "mysql-bin.000002", NIGHT + timedelta(days=7, hours=1))
    current = binlog(found, "mysql-bin.000003", NIGHT + timedelta(days=9, hours=13))

    dry = prune(found, "main", Policy(daily=3, weekly=0, monthly=0), dry_run=True)
    assert len(bases(found, "main")) == 20 and old.exists()  # a dry run removes nothing

    report = prune(found, "main", Policy(daily=3, weekly=0, monthly=0))
    assert report.removed == dry.removed
    left = {m.id for m in bases(found, "main")}
    assert left == set(fulls[7:]) | set(incrementals[7:])
    assert set(report.removed) == set(fulls[:7]) | set(incrementals[:7])
    # Binlogs last written before the oldest kept base began cannot be replayed from any base.
    assert report.binlogs_removed == [str(old)]
    assert not old.exists() and spanning.exists() and current.exists()


def test_an_incremental_whose_full_is_gone_is_not_kept_alone(tmp_path: Path) -> None:
    found = targets(tmp_path)
    first = put(found, NIGHT, "full", None)
    dependant = put(found, NIGHT + timedelta(days=1), "incremental", first)
    newest = put(found, NIGHT + timedelta(days=2), "full", None)
    report = prune(found, "main", Policy(daily=1, weekly=0, monthly=0))
    assert set(report.removed) == {first, dependant}
    assert [m.id for m in bases(found, "main")] == [newest]
