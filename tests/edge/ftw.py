"""Replay go-ftw YAML test files against a running edge, the way go-ftw does: raw bytes on a socket.

Both layouts go-ftw reads are accepted: `stages: [{input, output}]` (go-ftw ≥ 1, CRS 4 tests)
and `stages: [{stage: {input, output}}]` (CRS 3.3 tests). `dest_addr` and `port` are overridden
with the edge under test, as go-ftw's `--override` does. Only `output.status` is checked.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# Where the corpus test leaves its score for the terminal summary (see conftest.py).
WAF_SCORE = pytest.StashKey[list[str]]()


@dataclass(frozen=True)
class Case:
    """One go-ftw test (its first stage)."""

    file: str
    title: str
    method: str
    uri: str
    headers: dict[str, str]
    data: bytes
    version: str
    expected: tuple[int, ...]


def _stage(raw: dict[str, Any]) -> dict[str, Any]:
    stage: dict[str, Any] = raw.get("stage", raw)
    return stage


def load(folder: Path) -> list[Case]:
    """Every test of every *.yaml file under `folder`, in file order."""
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for test in document["tests"]:
            stage = _stage(test["stages"][0])
            given, output = stage["input"], stage["output"]
            status = output["status"]
            data = given.get("data", "")
            cases.append(Case(
                file=path.name, title=str(test.get("test_title", test.get("test_id"))),
                method=given.get("method", "GET"), uri=given.get("uri", "/"),
                headers={str(k): str(v) for k, v in (given.get("headers") or {}).items()},
                data=data.encode("utf-8") if isinstance(data, str) else bytes(data),
                version=given.get("version", "HTTP/1.1"),
                expected=tuple(status) if isinstance(status, list) else (int(status),)))
    return cases


def send(case: Case, port: int, timeout: float = 10.0) -> int:
    """Send the case's request as raw bytes to 127.0.0.1:port; return the response status."""
    headers = dict(case.headers)
    if case.data and not any(k.lower() == "content-length" for k in headers):
        headers["Content-Length"] = str(len(case.data))
    headers.setdefault("Connection", "close")
    head = f"{case.method} {case.uri} {case.version}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(head.encode("utf-8") + case.data)
        answer = b""
        while b"\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return int(status_line.split()[1])
