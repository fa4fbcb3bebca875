"""The image: built from deploy/image/Dockerfile, run as the cluster runs it — its own user, a
read-only root, no capabilities — against real MariaDB and Redis; any service group from the
same image; and nothing inside to run a shell with."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.support import podman
from tests.support.servers import MariaDBPair, Redis
from tests.support.stack import TEST_SECRET, split_env

SECRETS_MOUNT = "/var/run/secrets/orchid"  # where the pods mount Secret Manager's files
USER = "10001:10001"


def _secrets_folder(folder: Path, main: MariaDBPair, warehouse: MariaDBPair,
                    redis: Redis) -> Path:
    """Settings as secret files, named and read as the pods read them (ORCHID_SECRETS_DIR)."""
    values = {
        "orchid_secret_key": TEST_SECRET,
        "orchid_main_primary_url": main.primary.url("orchid_main"),
        "orchid_main_replica_urls": ",".join(r.url("orchid_main") for r in main.replicas),
        "orchid_warehouse_primary_url": warehouse.primary.url("orchid_warehouse"),
        "orchid_warehouse_replica_urls": ",".join(r.url("orchid_warehouse")
                                                  for r in warehouse.replicas),
        "orchid_redis_url": redis.url(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in values.items():
        (folder / name).write_text(value)
        (folder / name).chmod(0o644)  # the container's user is not this test's
    return folder


def _migrated(image: str, secrets: Path, main: MariaDBPair, warehouse: MariaDBPair) -> None:
    done = podman.run_once(image, "db", "upgrade", env={"ORCHID_SECRETS_DIR": SECRETS_MOUNT},
                           volumes={secrets: SECRETS_MOUNT})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "main: up to date" in done.stdout and "warehouse: up to date" in done.stdout
    main.wait_replicated()
    warehouse.wait_replicated()


def test_the_image_serves_the_shop_as_its_own_user_on_a_read_only_root(
        orchid_image: str, main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
        redis_server: Redis, tmp_path: Path) -> None:
    secrets = _secrets_folder(tmp_path / "secrets", main_db_pair, warehouse_db_pair,
                              redis_server)
    _migrated(orchid_image, secrets, main_db_pair, warehouse_db_pair)
    name = f"orchid-test-all-{os.getpid()}"
    with podman.serving(orchid_image, name, env={"ORCHID_SECRETS_DIR": SECRETS_MOUNT},
                        volumes={secrets: SECRETS_MOUNT}) as container:
        ready = httpx.get(f"{container.url}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"main_db": "ok", "warehouse_db": "ok", "redis": "ok"}
        brands = httpx.get(f"{container.url}/api/v1/catalog/brands", timeout=10)
        assert brands.status_code == 200, brands.text
        ids = podman.podman("exec", name, "/opt/orchid/bin/python3", "-c",
                            "import os; print(os.getuid(), os.getgid())")
        assert ids.split() == USER.split(":")
        refused = podman.podman_result("exec", name, "/opt/orchid/bin/python3", "-c",
                                       "open('/opt/orchid/intruder', 'w')")
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr
        writable = podman.podman("exec", name, "/opt/orchid/bin/python3", "-c",
                                 "import os; print(os.access('/opt/orchid', os.W_OK), "
                                 "os.access('/var/lib/orchid', os.W_OK))")
        assert writable.split() == ["False", "True"]


def test_one_image_runs_any_service_group(orchid_image: str, main_db_pair: MariaDBPair,
                                          warehouse_db_pair: MariaDBPair, redis_server: Redis,
                                          tmp_path: Path) -> None:
    secrets = _secrets_folder(tmp_path / "secrets", main_db_pair, warehouse_db_pair,
                              redis_server)
    _migrated(orchid_image, secrets, main_db_pair, warehouse_db_pair)
    groups = {  # group → (a route it answers, its readiness checks)
        "catalog": ("/api/v1/catalog/brands", {"main_db": "ok", "redis": "ok"}),
        "storefront": ("/healthz", {}),
        "inventory": ("/healthz", {"warehouse_db": "ok"}),
    }
    for group, (route, checks) in groups.items():
        env = {"ORCHID_SECRETS_DIR": SECRETS_MOUNT, "ORCHID_SERVICES": group,
               **split_env([group])}
        with podman.serving(orchid_image, f"orchid-test-{group}-{os.getpid()}", env=env,
                            volumes={secrets: SECRETS_MOUNT}) as container:
            ready = httpx.get(f"{container.url}/readyz", timeout=10)
            assert ready.status_code == 200 and ready.json()["checks"] == checks, ready.text
            assert httpx.get(f"{container.url}{route}", timeout=10).status_code == 200
            others = httpx.get(f"{container.url}/api/v1/cart", timeout=10)
            assert others.status_code == 404, f"{group} answered the cart's route"


def test_the_image_holds_no_shell_no_package_manager_and_no_coreutils(orchid_image: str) -> None:
    files = podman.files_of(orchid_image)
    for tool in ("sh", "bash", "dash", "busybox", "apt", "apt-get", "dpkg", "ls", "cat", "env",
                 "chmod", "curl", "wget", "pip", "perl"):
        found = [p for p in files if p.rsplit("/", 1)[-1] == tool]
        assert not found, f"{tool} in the image: {found}"
    executables = sorted(p for p, kind in files.items() if "/bin/" in p and kind == "f")
    assert all(p.startswith("/opt/orchid/bin/") or "/python3" in p for p in executables), \
        executables
    config = podman.inspect(orchid_image)["Config"]
    assert isinstance(config, dict)
    assert config["User"] == USER
    assert config["Entrypoint"] == ["/opt/orchid/bin/orchid"]
    assert "Healthcheck" not in config  # Kubernetes probes /healthz and /readyz
    shell = podman.run_once(orchid_image, "-c", "true", entrypoint="/bin/sh")
    assert shell.returncode != 0 and "/bin/sh" in shell.stderr


def test_a_split_process_from_the_image_refuses_to_start_without_its_keys(
        orchid_image: str, main_db_pair: MariaDBPair, warehouse_db_pair: MariaDBPair,
        redis_server: Redis, tmp_path: Path) -> None:
    # The image carries no keys: they come from Secret Manager's files at run time, and a
    # process placed on real databases without them stops at once, naming what to set.
    secrets = _secrets_folder(tmp_path / "secrets", main_db_pair, warehouse_db_pair,
                              redis_server)
    done = podman.run_once(orchid_image, "serve", volumes={secrets: SECRETS_MOUNT},
                           env={"ORCHID_SECRETS_DIR": SECRETS_MOUNT, "ORCHID_SERVICES": "orders",
                                "ORCHID_PEER_URLS": "catalog=http://127.0.0.1:9"})
    assert done.returncode != 0
    assert "ORCHID_INTERNAL_KEYS" in done.stdout + done.stderr, done.stderr[-2000:]
