"""The pipelines: .gitlab-ci.yml parses and names every stage in order, Trivy fails them on
HIGH and CRITICAL, prod waits for a person; the Jenkinsfile compiles as Groovy and runs the same
stages; and every command they call exists as they call it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from orchid.cli import app
from tests.support.k8s import ROOT

GITLAB = ROOT / ".gitlab-ci.yml"
JENKINSFILE = ROOT / "Jenkinsfile"
STAGES = ["lint", "test", "build", "scan", "deploy-sandbox", "deploy-preprod", "deploy-prod"]
GROOVY = Path.home() / ".m2/repository/org/apache/groovy/groovy/4.0.33/groovy-4.0.33.jar"
KEYWORDS = {"stages", "variables", "default", "workflow", "include"}


def _gitlab() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(GITLAB.read_text())
    return loaded


def _jobs() -> dict[str, dict[str, Any]]:
    return {name: job for name, job in _gitlab().items()
            if name not in KEYWORDS and not name.startswith(".")}


def _script(name: str) -> str:
    """A job's whole script, its templates' included, as one text."""
    config = _gitlab()
    job, parts = config[name], []
    for parent in [job.get("extends")] if isinstance(job.get("extends"), str) else []:
        parts += [*config[parent].get("before_script", []), *config[parent].get("script", [])]
    parts += [*job.get("before_script", []), *job.get("script", [])]
    return "\n".join(parts)


def test_gitlab_runs_every_stage_in_order_each_with_a_job() -> None:
    config, jobs = _gitlab(), _jobs()
    assert config["stages"] == STAGES
    assert {job["stage"] for job in jobs.values()} == set(STAGES)
    for name, job in jobs.items():
        for needed in job.get("needs", []):
            assert needed in jobs, f"{name} needs {needed}, which is not a job"
            assert STAGES.index(jobs[needed]["stage"]) <= STAGES.index(job["stage"]), name
        extends = job.get("extends")
        assert extends is None or extends in config, f"{name} extends {extends}"


def test_trivy_fails_the_pipeline_on_high_and_critical_in_the_image_and_the_config() -> None:
    assert _gitlab()["variables"]["SEVERITY"] == "HIGH,CRITICAL"
    scans = {name: _script(name) for name, job in _jobs().items() if job["stage"] == "scan"}
    image = [s for s in scans.values() if "trivy image" in s]
    config = [s for s in scans.values() if "trivy config" in s]
    assert image and config
    for script in image + config:
        for line in (line for line in script.splitlines() if "trivy " in line):
            assert "--exit-code 1" in line and '--severity "$SEVERITY"' in line, line
    assert "deploy/scan/trivyignore.yaml" in config[0] and "deploy/terraform" in config[0]


def test_the_test_job_runs_what_a_developer_runs() -> None:
    assert _gitlab()["test"]["script"] == ["make test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_each_environment_deploys_the_scanned_image_by_digest_after_its_migrations() -> None:
    jobs = _jobs()
    deploys = {name: job for name, job in jobs.items() if job["stage"].startswith("deploy-")}
    assert [job["variables"]["ENVIRONMENT"] for job in deploys.values()] == \
        ["sandbox", "preprod", "prod"]
    script = _script("deploy-prod")
    steps = ["--only migrate", "wait --for=condition=complete job/migrate",
             "apply --server-side --field-manager=orchid-deploy -f manifests.yaml",
             "rollout status"]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions), "migrations must finish before the rollout"
    assert '--image "$TARGET@$IMAGE_DIGEST"' in script
    assert set(jobs["deploy-sandbox"]["needs"]) >= {"trivy-image", "trivy-config", "test"}
    prod = jobs["deploy-prod"]
    assert prod["rules"][0]["when"] == "manual" and prod["allow_failure"] is False
    assert all(job.get("resource_group") for job in deploys.values())


def _jenkins_stages() -> list[str]:
    return re.findall(r"stage\('([^']+)'\)", JENKINSFILE.read_text())


def test_jenkins_runs_the_same_stages_and_tells_slack_when_one_fails() -> None:
    names = [name.lower().replace(" ", "-") for name in _jenkins_stages()]
    assert names == STAGES
    text = JENKINSFILE.read_text()
    assert text.lstrip("/ \n").startswith("Orchid") and "node('debian')" in text
    assert "pipeline {" not in text, "a scripted pipeline, not a declarative one"
    handler = text[text.index("} catch (failure) {"):]
    assert "slackSend(" in handler and "throw failure" in handler
    prod = text[text.index("stage('Deploy prod')"):]
    assert prod.index("input message:") < prod.index("deploy('prod'")
    for line in (line for line in text.splitlines() if "trivy " in line):
        assert "--exit-code 1" in line and "${severity}" in line, line


def test_the_jenkinsfile_compiles_as_groovy(tmp_path: Path) -> None:
    java = shutil.which("java")
    assert java and GROOVY.exists(), ("Groovy is missing: `make deploy-tools` fetches "
                                      "org.apache.groovy:groovy:4.0.33 with Maven")
    source = tmp_path / "Jenkinsfile.groovy"
    source.write_text(JENKINSFILE.read_text())
    done = subprocess.run([java, "-cp", str(GROOVY), "org.codehaus.groovy.tools.FileSystemCompiler",
                           "-d", str(tmp_path / "classes"), str(source)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "classes" / "Jenkinsfile.class").exists()


def test_every_command_the_pipelines_call_exists() -> None:
    text = GITLAB.read_text() + JENKINSFILE.read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"make ([a-z-]+)", text)):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"make {target}"
    runner = CliRunner()
    for command in ("generate", "render"):
        used = set(re.findall(rf"orchid deploy {command}[^\n]*", text))
        flags = {flag for line in used for flag in re.findall(r"(--[a-z-]+)", line)}
        help_text = runner.invoke(app, ["deploy", command, "--help"], terminal_width=200).output
        missing = {flag for flag in flags if flag not in help_text}
        assert not missing, f"orchid deploy {command} has no {missing}"
