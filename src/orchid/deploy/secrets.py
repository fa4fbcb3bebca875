"""Which Secret Manager secrets each workload reads, and as which files.

A pod mounts only its own workload's secrets (GKE's Secret Manager add-on, a
SecretProviderClass per workload), each as the file its setting is read from
(`ORCHID_SECRETS_DIR/orchid_<setting>`, config.py): the database URLs only where the services'
stores include that database, a caller key only in the group that calls with it.
"""

from __future__ import annotations

from orchid.deploy.workloads import (
    PROBE,
    PROBE_STORES,
    RELAY,
    RELAY_STORES,
    TASKS,
    Group,
    Task,
    groups,
)
from orchid.services import ELASTICSEARCH, MAIN_DB, REDIS, WAREHOUSE_DB

# setting (file orchid_<setting>) per store: what reaching that store takes.
STORE_SETTINGS: dict[str, tuple[str, ...]] = {
    MAIN_DB: ("main_primary_url", "main_replica_urls"),
    WAREHOUSE_DB: ("warehouse_primary_url", "warehouse_replica_urls"),
    REDIS: ("redis_url",),
    ELASTICSEARCH: ("elasticsearch_url",),
}
# Settings a service reads that no store implies.
SERVICE_SETTINGS: dict[str, tuple[str, ...]] = {
    "storefront": ("secret_key",),  # signs its forms (CSRF)
    "payments": ("secret_key",),  # derives the sandbox provider's webhook secret
    "accounts": ("sms_api_key",),
}


def secret_id(setting: str, owner: str | None = None) -> str:
    """The Secret Manager secret holding `setting` (per group for caller keys)."""
    name = setting.replace("_", "-")
    return f"orchid-{name}-{owner}" if owner else f"orchid-{name}"


def group_secrets(group: Group) -> dict[str, str]:
    """File name → secret id, for one group's pods."""
    settings = {s for store in sorted(group.stores) for s in STORE_SETTINGS[store]}
    settings |= {s for service in group.services for s in SERVICE_SETTINGS.get(service, ())}
    files = {f"orchid_{s}": secret_id(s) for s in sorted(settings)}
    if group.calls:  # its own caller key: who it is when it calls its peers
        files["orchid_internal_keys"] = secret_id("internal_keys", group.name)
    if group.callers:  # the digests of every caller key: whom it answers
        files["orchid_internal_callers"] = secret_id("internal_callers")
    if group.paths:  # the load balancer's addresses, from Terraform: whose X-Forwarded-For
        files["orchid_trusted_proxies"] = secret_id("trusted_proxies")
    return dict(sorted(files.items()))


def task_secrets(task: Task) -> dict[str, str]:
    """File name → secret id, for one task's pods (a task run as a group gets the group's)."""
    group = task.group
    files = {} if group is None else {k: v for k, v in group_secrets(group).items()
                                      if k != "orchid_trusted_proxies"}
    files |= {f"orchid_{s}": secret_id(s)
              for store in sorted(task.own_stores) for s in STORE_SETTINGS[store]}
    return dict(sorted(files.items()))


def store_secrets(stores: frozenset[str]) -> dict[str, str]:
    """File name → secret id, for a workload that reaches `stores` and nothing else."""
    return {f"orchid_{s}": secret_id(s) for store in sorted(stores) for s in STORE_SETTINGS[store]}


def workload_secrets() -> dict[str, dict[str, str]]:
    """Workload → its files and secrets, for every group, task, the probe and the relay."""
    found = {g.name: group_secrets(g) for g in groups()}
    found |= {t.name: task_secrets(t) for t in TASKS}
    found[PROBE] = store_secrets(PROBE_STORES)
    found[RELAY] = store_secrets(RELAY_STORES)
    return found


def secret_ids() -> list[str]:
    """Every secret the workloads read: what Terraform's secrets module must create."""
    return sorted({sid for files in workload_secrets().values() for sid in files.values()})
