"""deploy/ansible run for real: the management playbook against a throwaway Debian 12 root
(Ansible's chroot connection), its result checked by the tools that will read it — nginx,
systemd-analyze, logrotate, apt — the installed app started and asked through its nginx site,
the Cloud SQL Auth Proxy's unit held to the pods' instances and ports, a second run that changes
nothing, and ansible-lint's production profile.

The wheelhouse is built with the target's own Python (Debian 12's 3.11.2) in a second copy of
the root: pip picks dependencies by environment markers (redis needs async-timeout before
Python 3.11.3), so wheels resolved by this machine's 3.11.7 would not install there.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Address, IPv4Network, ip_network
from pathlib import Path

import httpx
import pytest
import yaml

from orchid.deploy.environments import ENVIRONMENTS
from orchid.deploy.overlays import instance_name
from orchid.deploy.pods import PROXY_HEALTH_PORT, SQL_PORTS
from orchid.services.registry import SERVICE_NAMES
from orchid.stack.servers import free_port
from tests.support.chroot import REPO, DebianRoot, debian_root, require_tarball
from tests.support.ports import START_ATTEMPTS, listens, log_since, log_size, port_was_taken
from tests.support.processes import stop_process
from tests.support.tools import CLOUD_SQL_PROXY, built
from tests.support.waiting import until

# The Cloud SQL Auth Proxy this installs is built beside the suite: run last (conftest.py).
pytestmark = pytest.mark.go_tools

ANSIBLE = REPO / "deploy" / "ansible"
TOOLS = REPO / ".cache" / "venvs" / "ansible" / "bin"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # this machine's, with its proxy's CA
# The Cloud SQL Auth Proxy from the Go module proxy (the Makefile's target); production takes
# the binary out of the pods' pinned sidecar image (deploy/ansible/README.md).
PROXY_UNIT = "/etc/systemd/system/cloud-sql-proxy.service"
HOST = "orchid-target"
SANDBOX = ENVIRONMENTS["sandbox"]  # the inventory the target takes its group variables from
STAFF = str(ip_network(SANDBOX.staff_networks[0])[7])
OUTSIDER = "192.0.2.99"
HEALTH_CHECKER = "35.191.3.4"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class PlayRun:
    """One ansible-playbook run: its exit code, its log and the tasks that changed something."""

    returncode: int
    log: Path
    text: str

    def recap(self) -> dict[str, int]:
        found = re.search(rf"^{HOST}\s*:(.*)$", self.text, re.MULTILINE)
        assert found, f"no play recap in {self.log}:\n{self.text[-3000:]}"
        return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", found.group(1))}

    def changed_tasks(self) -> list[str]:
        tasks, task = [], ""
        for line in self.text.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:") and task not in tasks:
                tasks.append(task)
        return tasks

    def assert_ok(self) -> None:
        assert self.returncode == 0, f"ansible-playbook failed ({self.log}):\n{self.text[-6000:]}"


@dataclass(frozen=True)
class Target:
    """The configured root, and what configured it."""

    root: DebianRoot
    folder: Path
    secret: str
    first: PlayRun


def _require_ansible() -> None:
    for tool in ("ansible-playbook", "ansible-lint", "ansible-inventory"):
        if not (TOOLS / tool).is_file():
            pytest.fail(f"{TOOLS / tool} is missing: run `make deploy-tools` "
                        "(Ansible and ansible-lint from deploy/tools/ansible.txt)")
    require_tarball()


def _tool_env(home: Path) -> dict[str, str]:
    """A clean environment: nothing of this machine's (PIP_*, proxies) leaks into the target."""
    return {"PATH": f"{TOOLS}:{PATH}", "HOME": str(home), "LANG": "C.UTF-8",
            "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning"}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's wheel and its dependencies', built by Debian 12's python3 (see the docstring)."""
    _require_ansible()
    folder = tmp_path_factory.mktemp("wheelhouse")
    with debian_root(folder / "builder") as builder:
        shutil.copyfile(CA_BUNDLE, builder.inside(str(CA_BUNDLE)))  # throwaway root only
        source = builder.inside("/src")
        source.mkdir()
        shutil.copyfile(REPO / "pyproject.toml", source / "pyproject.toml")
        shutil.copytree(REPO / "src" / "orchid", source / "src" / "orchid",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        # pip's own cache, this machine's: downloads and built wheels are kept between runs.
        cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
        cache.mkdir(parents=True, exist_ok=True)
        builder.mount("--bind", str(cache), at="/var/cache/pip")
        env = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "PIP_CERT": str(CA_BUNDLE),
               "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CACHE_DIR": "/var/cache/pip"}
        builder.run("python3", "-m", "venv", "/opt/build", env=env)
        builder.run("/opt/build/bin/pip", "wheel", "--quiet", "-w", "/wheelhouse", "/src", env=env)
        shutil.copytree(builder.inside("/wheelhouse"), folder / "wheelhouse")
    return folder / "wheelhouse"


def _playbook(folder: Path, name: str) -> PlayRun:
    log = folder / f"ansible-{name}.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(TOOLS / "ansible-playbook"), "-i", "inventories/sandbox", "-i",
             str(folder / "hosts.yml"), "--limit", HOST, "-e", f"@{folder / 'extra.json'}",
             "manage.yml"],
            cwd=ANSIBLE, env=_tool_env(folder), stdout=out, stderr=subprocess.STDOUT,
            timeout=1200)
    return PlayRun(done.returncode, log, log.read_text())


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[Target]:
    """A Debian 12 root configured once by manage.yml as a manage-api machine of the sandbox."""
    built(CLOUD_SQL_PROXY)  # make test builds it beside the suite: wait for that build
    folder = tmp_path_factory.mktemp("ansible")
    with debian_root(folder / "root") as root:
        # A manage_api host (two processes: manage-api and reporting); its "load balancer" is on
        # loopback, so the nginx check below can send X-Forwarded-For as Google's would.
        inventory = {"management": {"children": {"manage_api": {"hosts": {HOST: {
            "ansible_connection": "community.general.chroot", "ansible_host": str(root.path),
            "ansible_become": False, "private_address": "127.0.0.1",
            "load_balancer_addresses": ["127.0.0.1"]}}}}}}
        (folder / "hosts.yml").write_text(json.dumps(inventory))  # JSON is YAML
        secret = secrets.token_urlsafe(32)
        extra = folder / "extra.json"
        extra.touch(mode=0o600)
        extra.write_text(json.dumps({"orchid_secrets": {"secret_key": secret},
                                     "orchid_app_wheelhouse": str(wheelhouse),
                                     "cloud_sql_proxy_binary": str(CLOUD_SQL_PROXY),
                                     "start_services": False}))
        yield Target(root, folder, secret, _playbook(folder, "first"))


def _ids(root: DebianRoot, table: str) -> dict[str, int]:
    lines = root.inside(f"/etc/{table}").read_text().splitlines()
    return {fields[0]: int(fields[2]) for fields in (line.split(":") for line in lines)}


def _owned(root: DebianRoot, path: str, mode: int, user: str, group: str) -> None:
    info = root.inside(path).lstat()
    expected = (mode, _ids(root, "passwd")[user], _ids(root, "group")[group])
    assert (info.st_mode & 0o7777, info.st_uid, info.st_gid) == expected, path


def test_the_playbook_configures_a_management_machine(target: Target) -> None:
    target.first.assert_ok()
    root = target.root
    passwd = root.inside("/etc/passwd").read_text()
    assert re.search(r"^orchid:x:\d{3}:\d+:[^:]*:/var/lib/orchid:/usr/sbin/nologin$", passwd,
                     re.MULTILINE), "orchid is a system user without a shell"
    _owned(root, "/etc/orchid/orchid.env", 0o640, "root", "orchid")
    _owned(root, "/etc/orchid/secrets", 0o750, "root", "orchid")
    _owned(root, "/etc/orchid/secrets/orchid_secret_key", 0o640, "root", "orchid")
    _owned(root, "/etc/systemd/system/orchid@.service", 0o644, "root", "root")
    _owned(root, "/var/lib/orchid/manage-api", 0o750, "orchid", "orchid")
    assert root.inside("/etc/orchid/secrets/orchid_secret_key").read_text() == target.secret
    assert target.secret not in target.first.text, "a secret reached the deploy log"
    assert sorted(p.name for p in root.inside("/etc/orchid/secrets").iterdir()) == [
        "orchid_secret_key"]
    settings = root.inside("/etc/orchid/orchid.env").read_text()
    assert "ORCHID_ENV=sandbox" in settings and target.secret not in settings
    assert "ORCHID_PORT=8001" in root.inside("/etc/orchid/instances/reporting.env").read_text()
    release = root.inside("/opt/orchid").readlink()
    assert release.parent == Path("/opt/orchid-releases") and release.name.startswith("0.1.0-")
    wanted = root.inside("/etc/systemd/system/multi-user.target.wants")
    assert {"orchid@manage-api.service", "orchid@reporting.service", "nginx.service",
            "prometheus-node-exporter.service", "cloud-sql-proxy.service"} <= {
                p.name for p in wanted.iterdir()}
    assert re.search(r"^cloud-sql-proxy:x:\d{3}:\d+:[^:]*:/nonexistent:/usr/sbin/nologin$",
                     passwd, re.MULTILINE), "the proxy runs as a system user of its own"
    _owned(root, "/usr/local/bin/cloud-sql-proxy", 0o755, "root", "root")
    _owned(root, PROXY_UNIT, 0o644, "root", "root")
    assert root.inside("/usr/local/bin/cloud-sql-proxy").read_bytes() == (
        CLOUD_SQL_PROXY.read_bytes())
    assert root.inside("/etc/localtime").readlink() == Path("/usr/share/zoneinfo/Etc/UTC")
    origins = root.run("apt-config", "dump", "Unattended-Upgrade::Origins-Pattern").stdout
    patterns = [line for line in origins.splitlines() if "::Origins-Pattern::" in line]
    assert patterns and all("label=Debian-Security" in line for line in patterns), origins
    exporter = root.inside("/etc/default/prometheus-node-exporter").read_text()
    assert "--web.listen-address=127.0.0.1:9100" in exporter


def test_the_configuration_passes_the_checks_of_the_tools_that_read_it(target: Target) -> None:
    target.first.assert_ok()
    root = target.root
    root.run("nginx", "-t", "-q")
    units = ["orchid@manage-api.service", "orchid@reporting.service", "cloud-sql-proxy.service"]
    verified = root.run("systemd-analyze", "verify", *units)
    assert verified.stdout + verified.stderr == "", verified.stderr  # it warns, exiting 0
    for unit in (units[0], units[2]):
        security = root.run("systemd-analyze", "security", "--offline=yes", unit).stdout
        exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", security)
        assert exposure and float(exposure.group(1)) <= 2.0, security[-2000:]
    version = root.run("/usr/local/bin/cloud-sql-proxy", "--version").stdout
    assert version.startswith("cloud-sql-proxy version 2."), version
    root.run("sh", "-c", ". /etc/default/prometheus-node-exporter && "
             "exec prometheus-node-exporter $ARGS --version")  # its flags parse
    root.run("logrotate", "--debug", "/etc/logrotate.conf")


def _unit_lines(root: DebianRoot, path: str, key: str) -> list[str]:
    """The values of `key=` in a unit file, its continued lines joined."""
    text = re.sub(r"\\\n\s*", " ", root.inside(path).read_text())
    return re.findall(rf"^{key}=(.*)$", text, re.MULTILINE)


def test_the_proxy_serves_the_pods_instances_on_loopback_and_the_app_waits_for_it(
        target: Target) -> None:
    target.first.assert_ok()
    root = target.root
    # The role's table is the pods': the same instances on the same ports, so the database URL
    # secrets Terraform writes for the pods name this proxy's ports too.
    defaults = yaml.safe_load(
        (ANSIBLE / "roles" / "cloud_sql_proxy" / "defaults" / "main.yml").read_text())
    ports = {instance_name(key): port for db in SQL_PORTS.values() for key, port in db.items()}
    assert {i["name"]: i["port"] for i in defaults["cloud_sql_proxy_instances"]} == ports
    assert defaults["cloud_sql_proxy_health_port"] == PROXY_HEALTH_PORT
    [exec_start] = _unit_lines(root, PROXY_UNIT, "ExecStart")
    binary, *args = shlex.split(exec_start)
    assert binary == "/usr/local/bin/cloud-sql-proxy"
    flags = [arg for arg in args if arg.startswith("-")]
    assert sorted(flags) == sorted([
        "--address=127.0.0.1", "--private-ip", "--structured-logs", "--health-check",
        "--http-address=127.0.0.1", f"--http-port={PROXY_HEALTH_PORT}",
        "--exit-zero-on-sigterm"])
    assert [arg for arg in args if arg not in flags] == [
        f"{SANDBOX.project}:{SANDBOX.region}:{name}?port={port}" for name, port in ports.items()]
    assert _unit_lines(root, PROXY_UNIT, "User") == ["cloud-sql-proxy"]
    assert _unit_lines(root, PROXY_UNIT, "Restart") == ["always"]
    # Its arguments parse: run as its unit would, but without credentials, it stops at the
    # dialer, listening nowhere.
    uid, gid = _ids(root, "passwd")["cloud-sql-proxy"], _ids(root, "group")["cloud-sql-proxy"]
    started = subprocess.run(
        ["chroot", f"--userspec={uid}:{gid}", str(root.path), binary, *args],
        capture_output=True, text=True, timeout=60,
        env={"PATH": PATH, "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent.json"})
    said = started.stdout + started.stderr
    assert started.returncode != 0 and "error initializing dialer" in said, said[-2000:]
    assert "Listening on" not in said, said[-2000:]
    for key in ("Wants", "After"):
        named = " ".join(_unit_lines(root, "/etc/systemd/system/orchid@.service", key)).split()
        assert "cloud-sql-proxy.service" in named, key


def _settings(root: DebianRoot, instance: str) -> dict[str, str]:
    """The environment systemd gives orchid@<instance>: its EnvironmentFiles and Environment=."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}
    for path in ("/etc/orchid/orchid.env", f"/etc/orchid/instances/{instance}.env"):
        for line in root.inside(path).read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                env[name] = value
    return env


def _exec_start(root: DebianRoot, port: int) -> list[str]:
    unit = root.inside("/etc/systemd/system/orchid@.service").read_text()
    found = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    assert found and "--host 127.0.0.1" in found.group(1), unit
    return shlex.split(found.group(1).replace("${ORCHID_PORT}", str(port)))


def _up(proc: subprocess.Popen[bytes], port: int, ready: Callable[[int], bool]) -> bool:
    return proc.poll() is not None or (listens(proc.pid, port) and ready(port))


@contextmanager
def _started(argv: Callable[[int], list[str]], env: dict[str, str], log: Path, what: str,
             ready: Callable[[int], bool] = lambda port: True) -> Iterator[int]:
    """Run `argv(port)` on fresh ports until one binds; yield the port; stop it by its pid."""
    for _ in range(START_ATTEMPTS):
        port, offset = free_port(), log_size(log)
        with log.open("ab") as out:
            proc = subprocess.Popen(argv(port), env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            until(partial(_up, proc, port, ready), timeout=90, what=f"{what} on port {port}")
            if proc.poll() is None:
                yield port
                return
            said = log_since(log, offset)
            assert port_was_taken(said), f"{what} exited {proc.returncode}:\n{said[-3000:]}"
        finally:
            stop_process(proc, signal.SIGTERM)
    raise AssertionError(f"{what}: its port was taken {START_ATTEMPTS} times")


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _replaced(text: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        assert old in text, f"{old!r} not in the rendered file"
        text = text.replace(old, new)
    return text


def _nginx_check_config(root: DebianRoot, port: int, app_port: int) -> str:
    """The rendered nginx.conf and manage-api's sites, listening on 127.0.0.1:`port` and
    proxying to the app's test port: nothing else differs from what the playbook wrote."""
    folder = root.inside("/tmp/nginx-check")
    (folder / "sites").mkdir(parents=True, exist_ok=True)
    (folder / "nginx.conf").write_text(_replaced(
        root.inside("/etc/nginx/nginx.conf").read_text(),
        {"include /etc/nginx/sites-enabled/*.conf;": "include /tmp/nginx-check/sites/*.conf;",
         "pid /run/nginx.pid;": "pid /tmp/nginx-check/nginx.pid;"}))
    for site in ("manage-api", "default-server"):
        (folder / "sites" / f"{site}.conf").write_text(_replaced(
            root.inside(f"/etc/nginx/sites-available/{site}.conf").read_text(),
            {"listen 80": f"listen 127.0.0.1:{port}",
             "http://127.0.0.1:8000;": f"http://127.0.0.1:{app_port};"}))
    return "/tmp/nginx-check/nginx.conf"


def _ask(port: int, path: str, *, forwarded: str | None = None,
         host: str = SANDBOX.host("manage-api")) -> httpx.Response:
    headers = {"Host": host} | ({"X-Forwarded-For": forwarded} if forwarded else {})
    return httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=10)


def test_the_installed_app_serves_the_staff_only_through_its_nginx_site(target: Target) -> None:
    target.first.assert_ok()
    root, chroot = target.root, shutil.which("chroot") or "/usr/sbin/chroot"
    uid, gid = _ids(root, "passwd")["orchid"], _ids(root, "group")["orchid"]
    # The unit's User=, Group= and WorkingDirectory=, then its ExecStart= on a test port.
    as_unit = [chroot, f"--userspec={uid}:{gid}", f"--groups={gid}", str(root.path),
               "env", "--chdir=/var/lib/orchid/manage-api"]
    with _started(lambda port: [*as_unit, *_exec_start(root, port)],
                  _settings(root, "manage-api"), target.folder / "app.log", "orchid serve",
                  ready=_healthy) as app:
        ready = httpx.get(f"http://127.0.0.1:{app}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        # The secret key came from /etc/orchid/secrets: no development key was made.
        assert not root.inside("/var/lib/orchid/manage-api/secrets").exists()
        with _started(lambda port: [chroot, str(root.path), "nginx", "-c",
                                    _nginx_check_config(root, port, app), "-g", "daemon off;"],
                      {"PATH": PATH}, target.folder / "nginx.log", "nginx") as port:
            staff = _ask(port, "/readyz", forwarded=STAFF)
            assert staff.status_code == 200, staff.text
            assert staff.headers.get_list("x-frame-options") == ["DENY"]
            assert staff.headers.get_list("x-content-type-options") == ["nosniff"]
            assert staff.headers["strict-transport-security"].startswith("max-age=")
            assert _ask(port, "/readyz", forwarded=OUTSIDER).status_code == 403
            assert _ask(port, "/readyz").status_code == 403  # the balancer itself is no staff
            # A forged first entry: Google appends the real client after it.
            assert _ask(port, "/readyz", forwarded=f"{STAFF}, {OUTSIDER}").status_code == 403
            assert _ask(port, "/healthz", forwarded=HEALTH_CHECKER).status_code == 200
            assert _ask(port, "/readyz", forwarded=HEALTH_CHECKER).status_code == 403
            assert _ask(port, "/metrics", forwarded=STAFF).status_code == 404
            assert _ask(port, "/internal/v1/catalog/x", forwarded=STAFF).status_code == 404
            unknown = "unknown.example"
            assert _ask(port, "/healthz", forwarded=HEALTH_CHECKER, host=unknown).status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):  # 444: closed without an answer
                _ask(port, "/readyz", forwarded=STAFF, host=unknown)
        logged = root.inside("/var/log/nginx/manage-api.access.log").read_text().splitlines()
        first = json.loads(logged[0])
        assert (first["client"], first["peer"], first["status"]) == (STAFF, "127.0.0.1", 200)


def test_a_second_run_changes_nothing(target: Target) -> None:
    target.first.assert_ok()
    second = _playbook(target.folder, "second")
    second.assert_ok()
    assert second.recap()["changed"] == 0, f"changed: {second.changed_tasks()}; see {second.log}"


def test_ansible_lint_passes_the_production_profile(tmp_path: Path) -> None:
    _require_ansible()
    done = subprocess.run([str(TOOLS / "ansible-lint"), "--profile", "production", "--offline",
                           "--nocolor", "."], cwd=ANSIBLE, env=_tool_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    assert "0 failure(s), 0 warning(s)" in done.stdout + done.stderr


def test_the_inventories_name_each_environment_as_the_platform_does(tmp_path: Path) -> None:
    _require_ansible()
    for name, environment in ENVIRONMENTS.items():
        listed = subprocess.run(
            [str(TOOLS / "ansible-inventory"), "-i", f"inventories/{name}", "--playbook-dir", ".",
             "--list"], cwd=ANSIBLE, env=_tool_env(tmp_path), capture_output=True, text=True,
            check=True)
        inventory = json.loads(listed.stdout)
        hosts = inventory["_meta"]["hostvars"]
        assert sorted(hosts) == ["manage-01", "manage-api", "manage-util-01"], name
        for group, host in (("manage", "manage-01"), ("manage_api", "manage-api"),
                            ("manage_util", "manage-util-01")):
            assert inventory[group]["hosts"] == [host], (name, group)
        management = IPv4Network(environment.ranges.management)
        for host, values in hosts.items():
            assert values["orchid_env"] == name and values["gcp_project"] == environment.project
            assert values["region"] == environment.region, (name, host)
            assert values["domain"] == environment.domain
            assert values["staff_networks"] == list(environment.staff_networks), (name, host)
            assert IPv4Address(values["private_address"]) in management, (name, host)
            for instance in values["orchid_app_instances"]:
                assert set(instance["services"]) <= set(SERVICE_NAMES), (name, host, instance)


def test_the_secrets_come_from_secret_manager_at_deploy_time(tmp_path: Path) -> None:
    _require_ansible()
    # Without credentials (a clean HOME, no GOOGLE_APPLICATION_CREDENTIALS) the lookup gets as
    # far as asking for them: the plugin, its arguments and the expression are sound.
    done = subprocess.run(
        [str(TOOLS / "ansible"), "manage-api", "-i", "inventories/prod", "--playbook-dir", ".",
         "-c", "local", "-m", "ansible.builtin.debug", "-a", "var=orchid_secrets.secret_key"],
        cwd=ANSIBLE, env=_tool_env(tmp_path), capture_output=True, text=True, timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "lookup plugin 'google.cloud.gcp_secret_manager' failed" in said, said[-3000:]
    assert "credentials" in said.lower(), said[-3000:]
