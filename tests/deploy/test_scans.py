"""Policy scans of what a deploy applies — every environment's rendered manifests with every
component, the access part — and of the Dockerfile: checkov and Trivy's config scan find
nothing to fix; each finding we accept is justified where it is (a checkov annotation or
comment beside it, a statement in deploy/scan/trivyignore.yaml)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchid.deploy.environments import ENVIRONMENTS
from orchid.deploy.tree import COMPONENTS
from tests.support.k8s import ROOT, rendered, rendered_access
from tests.support.tools import TRIVY, built

CHECKOV = ROOT / ".cache" / "venvs" / "checkov" / "bin" / "checkov"
DOCKERFILE = ROOT / "deploy" / "image" / "Dockerfile"
SCAN = ROOT / "deploy" / "scan"
HINT = "run `make deploy-tools`"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding what a deploy applies, one file per environment, and the Dockerfile."""
    folder = tmp_path_factory.mktemp("scanned")
    for env in ENVIRONMENTS:
        docs = rendered(env, tuple(COMPONENTS))
        (folder / f"{env}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    (folder / "access.yaml").write_text(yaml.safe_dump_all(rendered_access(), sort_keys=False))
    shutil.copy(DOCKERFILE, folder / "Dockerfile")
    return folder


def _run(tool: Path, *args: str) -> str:
    assert tool.exists(), f"{tool.relative_to(ROOT)} is missing: {HINT}"
    done = subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.stdout.strip(), f"{tool.name} printed nothing:\n{done.stderr[-3000:]}"
    return done.stdout


def test_checkov_finds_nothing_to_fix(scanned: Path) -> None:
    out = _run(CHECKOV, "--directory", str(scanned), "--framework", "kubernetes", "dockerfile",
               "--skip-download", "--compact", "--output", "json")
    reports: list[dict[str, Any]] = json.loads(out)
    reports = reports if isinstance(reports, list) else [reports]
    assert {r["check_type"] for r in reports} == {"kubernetes", "dockerfile"}
    failed = [f"{f['check_id']} {f['check_name']} — {f['file_path']} {f['resource']}"
              for r in reports for f in r["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    assert all(r["summary"]["passed"] > 0 for r in reports)
    skipped = [s for r in reports for s in r["results"]["skipped_checks"]]
    allowed = {"CKV_K8S_38", "CKV_DOCKER_2", "CKV_DOCKER_7"}
    assert {s["check_id"] for s in skipped} <= allowed, skipped
    # Each skip carries its reason beside it: an annotation's text, a Dockerfile comment.
    reasons = dict(re.findall(r"checkov:skip=(CKV_\w+):\s*(\S.*)", DOCKERFILE.read_text()))
    for env in ENVIRONMENTS:
        for doc in rendered(env, tuple(COMPONENTS)):
            for key, value in doc["metadata"].get("annotations", {}).items():
                if key.startswith("checkov.io/skip"):
                    check, _, why = value.partition("=")
                    reasons[check] = why
    for skip in skipped:
        reason = reasons.get(skip["check_id"], "")
        assert len(reason.split()) >= 6, f"{skip['check_id']} skipped without a reason"


@pytest.mark.go_tools
def test_trivy_finds_nothing_to_fix(scanned: Path) -> None:
    out = _run(built(TRIVY), "config", "--skip-check-update", "--quiet", "--format", "json",
               "--config-data", str(SCAN / "trivy-data"),
               "--ignorefile", str(SCAN / "trivyignore.yaml"), str(scanned))
    results = json.loads(out)["Results"]
    assert {r["Target"] for r in results} >= {"Dockerfile", "access.yaml",
                                               *(f"{e}.yaml" for e in ENVIRONMENTS)}
    found = [f"{r['Target']}: {m['Severity']} {m['ID']} {m['Message']}"
             for r in results for m in r.get("Misconfigurations") or []]
    assert not found, "\n".join(found)
    assert all(r["MisconfSummary"]["Successes"] > 0 for r in results)


def test_every_accepted_trivy_finding_says_why() -> None:
    accepted = yaml.safe_load((SCAN / "trivyignore.yaml").read_text())["misconfigurations"]
    assert accepted and all(len(a["statement"].split()) >= 8 for a in accepted), accepted


def test_the_dockerfile_pins_its_base_and_ends_on_scratch_as_its_own_user() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    base = next(line for line in lines if line.startswith("ARG PYTHON_IMAGE="))
    assert re.fullmatch(r"ARG PYTHON_IMAGE=docker\.io/library/python:3\.11-slim-bookworm"
                        r"@sha256:[0-9a-f]{64}", base), base
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 4 and froms[-1] == "FROM scratch"
    final = lines[lines.index("FROM scratch"):]
    assert "USER 10001:10001" in final
    assert not any(line.startswith(("ADD ", "HEALTHCHECK", "RUN ")) for line in final), final
    assert not any(line.startswith("ADD ") for line in lines)
