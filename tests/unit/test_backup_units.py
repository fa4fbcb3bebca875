"""The VM files of the nightly backup say 02:00 Asia/Kolkata and run commands that exist."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchid.cli import app

VM = Path(__file__).resolve().parents[2] / "deploy" / "vm"


def orchid_commands(text: str) -> list[list[str]]:
    """Every `/opt/orchid/bin/orchid …` invocation in a unit or cron file, as argv."""
    found = []
    for line in text.splitlines():
        if "/opt/orchid/bin/orchid" not in line or line.startswith("#"):
            continue
        for part in line.split("&&"):
            words = shlex.split(part.partition("=")[2] if part.startswith("ExecStart=")
                                else part)
            if "/opt/orchid/bin/orchid" in words:
                found.append(words[words.index("/opt/orchid/bin/orchid") + 1:])
    return found


@pytest.mark.parametrize("name", ["orchid-backup.service", "orchid-binlog-archiver@.service",
                                  "orchid-backup.cron"])
def test_each_command_is_a_real_orchid_command(name: str) -> None:
    commands = orchid_commands((VM / name).read_text().replace("%i", "main"))
    assert commands
    for argv in commands:
        # --help parses the command path and its options without running anything.
        done = CliRunner().invoke(app, [*argv, "--help"])
        assert done.exit_code == 0, (argv, done.output)


def test_the_timer_and_cron_say_two_oclock_in_india() -> None:
    timer = (VM / "orchid-backup.timer").read_text()
    assert "OnCalendar=*-*-* 02:00:00 Asia/Kolkata" in timer
    cron = (VM / "orchid-backup.cron").read_text().splitlines()
    assert "CRON_TZ=Asia/Kolkata" in cron
    assert any(line.startswith("0 2 * * * ") for line in cron)
