"""The capacity model: traffic to requests/s, a bench report's CPU per tier, cores and memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchid.cli import app as cli
from orchid.ops.capacity import TIERS, Measured, Sizing, Traffic, capacity_plan


def report(path: Path, steps: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"steps": steps, "git": {"short": "abc1234"}}))
    return path


def step(rps: float, errors: int, us: dict[str, float]) -> dict[str, object]:
    kinds = {"app-1": "app", "app-2": "app", "edge": "edge", "elasticsearch": "elasticsearch",
             "redis": "redis", "main-primary": "mariadb", "main-replica-1": "mariadb",
             "main-replica-2": "mariadb", "warehouse-primary": "mariadb",
             "warehouse-replica-1": "mariadb", "prometheus": "prometheus"}
    return {"offered_rps": rps, "throughput": rps, "errors": errors,
            "cpu": {"us_per_request": us, "kinds": kinds}}


US = {"app-1": 1000.0, "app-2": 500.0, "edge": 300.0, "elasticsearch": 2000.0, "redis": 50.0,
      "main-primary": 400.0, "main-replica-1": 100.0, "main-replica-2": 150.0,
      "warehouse-primary": 200.0, "warehouse-replica-1": 80.0, "prometheus": 999.0}


def test_the_peak_is_the_days_requests_in_the_busiest_minute() -> None:
    day = Traffic(dau=600_000, requests_per_user=30, peak_hour_share=0.15, burst=3.0)
    assert day.peak_rps() == pytest.approx(600_000 * 30 * 0.15 / 3600 * 3)  # 2,250/s


def test_a_report_is_read_per_tier_from_its_busiest_clean_step(tmp_path: Path) -> None:
    doubled = {k: v * 2 for k, v in US.items()}
    path = report(tmp_path / "r.json", [step(20, 0, doubled), step(45, 0, US),
                                         step(90, 3, doubled)])
    measured = Measured.from_report(path)
    assert measured.us_per_request == {
        "edge": 300.0, "app": 1500.0, "elasticsearch": 2000.0, "redis": 50.0,
        "main primary": 400.0, "main replicas": 250.0, "warehouse primary": 200.0,
        "warehouse replicas": 80.0}  # prometheus is no tier of the shop
    assert "45/s offered" in measured.source and "abc1234" in measured.source
    assert Measured.from_report(path, step=0).us_per_request["app"] == 3000.0


def test_cores_cover_the_peak_with_headroom_and_never_fewer_than_two() -> None:
    measured = Measured(dict.fromkeys(TIERS, 1000.0) | {"app": 6000.0}, "test")
    traffic = Traffic(dau=600_000, requests_per_user=30, peak_hour_share=0.15, burst=3.0)
    plans = {p.tier: p for p in capacity_plan(traffic, measured, Sizing(utilisation=0.5))}
    assert plans["app"].busy_cores == pytest.approx(2250 * 6000 / 1e6)  # 13.5 busy
    assert plans["app"].cores == 27  # at half busy
    assert plans["redis"].cores == 5
    quiet = capacity_plan(Traffic(dau=100), measured, Sizing())
    assert {p.cores for p in quiet} == {2}  # one zone may fail
    # Every replica holds the whole database: more replica cores, more copies in memory.
    assert plans["main replicas"].memory_gb == pytest.approx(
        2 * next(p for p in quiet if p.tier == "main replicas").memory_gb, rel=0.2)


def test_the_command_prints_both_days_from_a_report(tmp_path: Path) -> None:
    path = report(tmp_path / "r.json", [step(45, 0, US)])
    done = CliRunner().invoke(cli, ["capacity", "--dau", "150000", "--report", str(path)])
    assert done.exit_code == 0, done.output
    assert "150,000 daily active users" in done.output
    assert "188 requests/s" in done.output and "562 requests/s" in done.output
    assert all(tier in done.output for tier in TIERS)
    missing = CliRunner().invoke(cli, ["capacity", "--dau", "1", "--report",
                                       str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "bench.shop" in missing.output  # says how to make one
