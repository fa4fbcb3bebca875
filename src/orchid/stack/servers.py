"""How to start the real servers (MariaDB, Redis, Elasticsearch, Prometheus) from their binaries.

Argument lists and small client helpers only: who owns the process (the test launchers in
tests/support, or the stack supervisor) is the caller's business. Every server binds 127.0.0.1
and keeps its files in a folder the caller gives; /etc and the machine's own services are never
read or touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from orchid.stack.ca import ServerTls

# Which Debian package ships each binary, for the "how to install" message.
PACKAGES = {
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mariadb": "mariadb-client",
    "redis-server": "redis-server",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "nginx": "nginx libnginx-mod-http-modsecurity modsecurity-crs",
    "pt-online-schema-change": "percona-toolkit",
}
ROOT = Path(__file__).resolve().parents[3]
ES_VERSION = os.environ.get("ELASTICSEARCH_VERSION", "8.19.21")
JAVA_HOMES = ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/temurin-25-jdk-amd64")
NOBODY = 65534
# InnoDB redo sizing must match between mariadb-install-db and mariadbd, otherwise the first
# start of every copy of a datadir rewrites the redo log.
INNODB_LOG_FLAGS = ["--innodb-log-file-size=16M"]


class ServerMissing(RuntimeError):
    """A server binary is not installed; the message says how to install it."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As servers do: connections of a stopped server in TIME_WAIT do not make it busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def binary(name: str) -> str:
    """Return the full path of a server binary, or raise ServerMissing saying how to install it."""
    # /usr/sbin is often not on a non-root PATH, and mariadbd and nginx live there.
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        raise ServerMissing(
            f"{name} not found: run `make servers` (apt-get installs every server the stack and "
            f"the tests use) or apt-get install {PACKAGES.get(name, name)}")
    return path


# --- MariaDB -----------------------------------------------------------------------------------

def install_mariadb_datadir(target: Path) -> None:
    """Initialise an empty datadir at `target` (root logs in through the socket, no password)."""
    argv = [binary("mariadb-install-db"), "--no-defaults", f"--datadir={target}",
            "--skip-test-db", "--skip-name-resolve",
            "--auth-root-authentication-method=socket", *INNODB_LOG_FLAGS]
    if os.geteuid() == 0:
        argv.append("--user=root")
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed:\n{done.stdout}\n{done.stderr}")


def mariadb_socket(instance_dir: Path, port: int) -> Path:
    """The unix socket of the server in `instance_dir` (short enough for sun_path's 108 bytes)."""
    path = instance_dir / "mysqld.sock"
    if len(str(path)) > 100:
        path = Path("/tmp") / f"orchid-mysqld-{port}.sock"
    return path


def mariadbd_argv(instance_dir: Path, *, port: int, server_id: int, read_only: bool = False,
                  buffer_pool: str = "64M", durable: bool = False,
                  tls: ServerTls | None = None, semisync: bool = False) -> list[str]:
    """mariadbd on 127.0.0.1:port with binlogs and GTID strict mode (a replication member);
    with `semisync`, a commit returns only once a replica has the transaction."""
    datadir = instance_dir / "data"
    tmpdir = instance_dir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    argv = [
        binary("mariadbd"),
        "--no-defaults",  # never read /etc/mysql: it points at the machine's server
        f"--datadir={datadir}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        f"--socket={mariadb_socket(instance_dir, port)}",
        f"--pid-file={instance_dir / 'mysqld.pid'}",
        f"--log-error={instance_dir / 'error.log'}",
        f"--tmpdir={tmpdir}",  # its own: temporary tables of one server never meet another's
        f"--server-id={server_id}",
        "--log-bin=mysql-bin",
        "--binlog-format=ROW",
        "--gtid-strict-mode=1",
        "--log-slave-updates=1",
        "--skip-name-resolve",
        f"--innodb-buffer-pool-size={buffer_pool}",
        *INNODB_LOG_FLAGS,
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        "--max-connections=500",
    ]
    if not durable:
        # Throw-away test data: speed matters, a lost last second does not.
        argv += ["--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0"]
    if read_only:
        # Blocks the app's user; the replication SQL thread may still write.
        argv.append("--read-only=1")
    if tls is not None:
        argv += mariadb_tls_flags(tls)
    if semisync:
        argv += mariadb_semisync_flags()
    if os.geteuid() == 0:
        argv.append("--user=root")  # mariadbd refuses to run as root otherwise
    binary("mariadb")  # fail early with the install hint, not at the first query
    return argv


def mariadb_tls_flags(tls: ServerTls) -> list[str]:
    """TLS with this certificate, and no TCP connection without it (the socket stays plain)."""
    return [f"--ssl-ca={tls.ca}", f"--ssl-cert={tls.cert}", f"--ssl-key={tls.key}",
            "--require-secure-transport=ON"]


def mariadb_semisync_flags(timeout_ms: int = 5000) -> list[str]:
    """Semi-synchronous replication, both roles on every member (a failover swaps them).

    AFTER_SYNC: the commit is acknowledged to the client only after a replica has the event in
    its relay log, so a crash of the primary loses no transaction a client was told about. The
    replica role also makes a crashed former primary, on its next start, roll back what it
    wrote to its binlog but no replica acknowledged (MDEV-21117), instead of committing a
    transaction the new primary never saw. With no replica answering within the timeout the
    primary falls back to asynchronous replication rather than stopping the shop.
    """
    return ["--rpl-semi-sync-master-enabled=ON", "--rpl-semi-sync-slave-enabled=ON",
            "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
            f"--rpl-semi-sync-master-timeout={timeout_ms}"]


def mariadb_sql(sock: Path, statement: str, database: str | None = None, *,
                column_names: bool = False, timeout: float = 60) -> str:
    """Run SQL as root through the `mariadb` client on the unix socket; return its batch output."""
    argv = [binary("mariadb"), "--no-defaults", "--user=root", f"--socket={sock}", "--batch",
            "--connect-timeout=5"]
    if not column_names:
        argv.append("--skip-column-names")
    argv += ["-e", statement]
    if database is not None:
        argv.append(database)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb ({sock}) failed: {done.stderr.strip()}\n"
                           f"statement: {statement}")
    return done.stdout


def replica_status(sock: Path) -> dict[str, str]:
    """SHOW SLAVE STATUS as a column → value dict (empty when not a replica)."""
    lines = mariadb_sql(sock, "SHOW SLAVE STATUS", column_names=True).splitlines()
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))


def replication_user_sql(user: str, password: str) -> str:
    """The account replicas fetch the binlog with."""
    return (f"CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';"
            f"GRANT REPLICATION SLAVE ON *.* TO '{user}'@'127.0.0.1';")


def change_master_sql(primary_port: int, user: str, password: str, *,
                      ca_file: Path | None = None) -> str:
    """Point a replica at the primary by GTID and start it (over verified TLS given a CA)."""
    # STOP first: wiring again after an interrupted first start must not fail.
    tls = f" {master_tls_sql(ca_file)}," if ca_file is not None else ""
    return (f"STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary_port}, "
            f"MASTER_USER='{user}', MASTER_PASSWORD='{password}',{tls} "
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;")


def master_tls_sql(ca_file: Path) -> str:
    """CHANGE MASTER options: TLS to the primary, its certificate checked against `ca_file`."""
    return f"MASTER_SSL=1, MASTER_SSL_CA='{ca_file}', MASTER_SSL_VERIFY_SERVER_CERT=1"


def secure_replication_sql(ca_file: Path) -> str:
    """Move a running replica to TLS, keeping its primary and position (CHANGE MASTER keeps
    every option it is not given)."""
    return f"STOP SLAVE; CHANGE MASTER TO {master_tls_sql(ca_file)}; START SLAVE;"


def app_user_sql(databases: list[str], password: str) -> list[str]:
    """Create the app's databases and its `orchid` user (which may also read replica lag)."""
    statements = [f"CREATE DATABASE IF NOT EXISTS `{name}` "
                  "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" for name in databases]
    for host in ("127.0.0.1", "localhost"):
        user = f"'orchid'@'{host}'"
        statements.append(f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY '{password}'")
        statements.append(f"GRANT REPLICATION CLIENT, SLAVE MONITOR ON *.* TO {user}")
        statements += [f"GRANT ALL ON `{name}`.* TO {user}" for name in databases]
    return statements


# --- Redis -------------------------------------------------------------------------------------

def redis_argv(folder: Path, *, port: int, appendonly: bool,
               tls: ServerTls | None = None) -> list[str]:
    """redis-server in the foreground on 127.0.0.1:port, files in `folder` (TLS only, given
    a certificate: the plain port is closed)."""
    listen = ["--port", str(port)] if tls is None else [
        "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls.cert),
        "--tls-key-file", str(tls.key), "--tls-ca-cert-file", str(tls.ca),
        "--tls-auth-clients", "no"]  # clients authenticate the server; the server, no one
    return [
        binary("redis-server"),
        *listen,
        "--bind", "127.0.0.1",
        "--dir", str(folder),
        "--save", "",  # no RDB snapshots: persistence only through the append-only file
        "--appendonly", "yes" if appendonly else "no",
        "--daemonize", "no",  # the caller tracks the pid
    ]  # fmt: skip


def redis_ping(port: int, ca_file: Path | None = None) -> bool:
    """True when Redis answers PONG (it answers -LOADING while replaying its AOF); over TLS,
    the server's certificate verified against `ca_file`, when one is given."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
            if ca_file is None:
                return _ping(raw)
            context = ssl.create_default_context(cafile=str(ca_file))
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as secure:
                return _ping(secure)
    except OSError:  # ssl.SSLError is one
        return False


def _ping(s: socket.socket) -> bool:
    s.sendall(b"PING\r\n")
    return s.recv(64).startswith(b"+PONG")


def redis_url(port: int, db: int = 0, *, ca_file: Path | None = None) -> str:
    """redis-py's URL of a Redis on 127.0.0.1: `rediss://` verified against `ca_file`, if any."""
    if ca_file is None:
        return f"redis://127.0.0.1:{port}/{db}"
    return f"rediss://127.0.0.1:{port}/{db}?ssl_ca_certs={ca_file}&ssl_cert_reqs=required"


def redis_cli_target(url: str) -> list[str]:
    """`redis-cli` arguments for a redis-py URL: `-u` without the query redis-cli cannot
    read, and for `rediss://` its TLS flags with the CA of `ssl_ca_certs`."""
    parts = urlsplit(url)
    argv = ["-u", urlunsplit(parts._replace(query=""))]
    if parts.scheme == "rediss":
        argv.append("--tls")
        query = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
        if query.get("ssl_ca_certs"):
            argv += ["--cacert", query["ssl_ca_certs"]]
    return argv


# --- Elasticsearch -----------------------------------------------------------------------------

def es_home() -> Path:
    """Return the unpacked test distribution, or raise ServerMissing saying how to fetch it."""
    default = ROOT / ".cache" / "elasticsearch" / f"elasticsearch-{ES_VERSION}"
    home = Path(os.environ.get("ORCHID_ES_HOME", default))
    if not (home / "bin" / "elasticsearch").exists():
        raise ServerMissing("Elasticsearch not found: run `make elasticsearch` (it fetches "
                            "the test distribution from Maven Central)")
    return home


def java_home() -> str:
    """A JDK that can run Elasticsearch."""
    for candidate in (os.environ.get("ES_JAVA_HOME"), *JAVA_HOMES):
        if candidate and Path(candidate, "bin", "java").exists():
            return candidate
    raise ServerMissing("no Java found for Elasticsearch: apt-get install openjdk-17-jre-headless")


def elasticsearch_command(base: Path, *, port: int, transport_port: int, heap: str,
                          cluster: str) -> tuple[list[str], dict[str, str]]:
    """argv and environment of a single-node Elasticsearch whose files live in `base`.

    Elasticsearch refuses to run as root, so under root it runs as `nobody` through setpriv
    and its folder is handed to that user. Filesystem snapshots go to `base/snapshots`, its
    only `path.repo` (a repository elsewhere is refused by the server).
    """
    home = es_home()
    config = base / "config"
    if not config.exists():
        shutil.copytree(home / "config", config)
    for sub in ("data", "logs", "tmp", "snapshots"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    argv = [str(home / "bin" / "elasticsearch"), "-p", str(base / "es.pid"),
            "-E", f"http.port={port}", "-E", f"transport.port={transport_port}",
            "-E", "network.host=127.0.0.1", "-E", "discovery.type=single-node",
            "-E", "xpack.security.enabled=false", "-E", f"cluster.name={cluster}",
            "-E", f"path.data={base / 'data'}", "-E", f"path.logs={base / 'logs'}",
            "-E", f"path.repo={base / 'snapshots'}",
            "-E", "cluster.routing.allocation.disk.threshold_enabled=false"]
    if os.geteuid() == 0:
        _give_to_nobody(base)
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
    env = {**os.environ, "ES_JAVA_HOME": java_home(), "ES_PATH_CONF": str(config),
           "ES_TMPDIR": str(base / "tmp"), "ES_JAVA_OPTS": f"-Xms256m -Xmx{heap}"}
    return argv, env


def _give_to_nobody(base: Path) -> None:
    base.chmod(0o755)
    for path in (base, *base.rglob("*")):
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


# --- Prometheus --------------------------------------------------------------------------------

def prometheus_argv(folder: Path, *, port: int, config: Path) -> list[str]:
    """Debian's prometheus on 127.0.0.1:port with its data in `folder`."""
    return [binary("prometheus"), f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}", "--storage.tsdb.retention.time=2d",
            f"--web.listen-address=127.0.0.1:{port}"]


def alertmanager_argv(folder: Path, *, port: int, config: Path) -> list[str]:
    """Debian's Alertmanager on 127.0.0.1:port, alone (no cluster), its state in `folder`."""
    return [binary("prometheus-alertmanager"), f"--config.file={config}",
            f"--storage.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address="]


class PubSubEmulatorMissing(RuntimeError):
    """The Google Cloud CLI's Pub/Sub emulator is not installed; the message says how."""


@cache
def pubsub_emulator() -> Path:
    """The emulator's launcher, in the Google Cloud CLI's `platform` folder (`gcloud info`
    takes a second or two: asked once per process)."""
    sdk = None
    if shutil.which("gcloud"):
        found = subprocess.run(["gcloud", "info", "--format=value(installation.sdk_root)"],
                               capture_output=True, text=True, check=False)
        sdk = found.stdout.strip() or None
    launcher = Path(sdk or "/usr/lib/google-cloud-sdk") / "platform" / "pubsub-emulator" / \
        "bin" / "cloud-pubsub-emulator"
    if not launcher.exists() or not shutil.which("java"):
        raise PubSubEmulatorMissing(
            f"no Pub/Sub emulator at {launcher} (or no java): install the Google Cloud CLI with "
            "its emulator — apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator "
            "default-jre-headless — or `gcloud components install pubsub-emulator`")
    return launcher


def pubsub_emulator_argv(folder: Path, *, port: int) -> list[str]:
    """The Pub/Sub emulator in the foreground on 127.0.0.1:port (its state is in memory)."""
    del folder  # it keeps nothing on disk; the caller's folder holds only its log
    return [str(pubsub_emulator()), "--host=127.0.0.1", f"--port={port}"]
