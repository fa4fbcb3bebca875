"""What differs per environment, as generated overlay files: settings, Cloud SQL instances,
identities, secrets, the egress to each data store's addresses, floors and ceilings."""

from __future__ import annotations

import json
import math

import yaml

from orchid.deploy.environments import OTLP_ENDPOINT, Environment
from orchid.deploy.pods import SQL_PORTS, Manifest, labels
from orchid.deploy.secrets import workload_secrets
from orchid.deploy.workloads import (
    PROBE,
    PROBE_STORES,
    RELAY,
    RELAY_STORES,
    SALE_DAY_FACTOR,
    TASKS,
    Group,
    google_identities,
    groups,
)
from orchid.services import ELASTICSEARCH, MAIN_DB, REDIS, WAREHOUSE_DB

REDIS_PORTS = (6378, 6379)  # Memorystore: 6378 with in-transit encryption
ELASTICSEARCH_PORT = 9200
CLOUD_SQL_PORT = 3307  # the proxy's own port to every Cloud SQL instance
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
NIGHT = ("01:00", "07:00")  # Asia/Kolkata: the quietest hours, when floors step down
FLOORS_FILE = "floors.json"
EVENTS_CONFIG = "orchid-events"  # the relay's own settings: the Pub/Sub project it publishes to


def instance_name(key: str) -> str:
    """Cloud SQL instance of a proxy entry: main-primary → orchid-main."""
    return "orchid-" + key.replace("-primary", "")


def config_maps(env: Environment) -> list[Manifest]:
    """The settings that are not secret, and the Cloud SQL instances' connection names."""
    settings = {
        "ORCHID_ENV": env.name,
        "ORCHID_LOG_JSON": "true",
        "ORCHID_COOKIE_SECURE": "true",
        # Prometheus scrapes from a pod address; anyone else gets 403 (the policy also
        # admits only the monitoring namespace).
        "ORCHID_METRICS_ALLOWED_NETWORKS": env.ranges.pods,
        # Spans to the cluster's OpenTelemetry Collector, which sends them to Cloud Trace.
        "ORCHID_OTLP_ENDPOINT": OTLP_ENDPOINT,
        "ORCHID_TRACE_SAMPLE_RATIO": str(env.trace_sample_ratio),
    }
    instances = {key: f"{env.project}:{env.region}:{instance_name(key)}?port={port}"
                 for ports in SQL_PORTS.values() for key, port in ports.items()}
    # What `orchid ops cloud-backup` (the backup CronJob) backs up.
    settings["ORCHID_OPS_CLOUD_SQL_PRIMARIES"] = ",".join(
        v.partition("?")[0] for k, v in instances.items() if k.endswith("-primary"))
    # Only the relay reads it (deploy/relay.py): the services publish nothing themselves on
    # GKE, and a process with a Pub/Sub project would open a bus it has no right to use.
    events = {"ORCHID_PUBSUB_PROJECT": env.project}
    return [_config_map("orchid-config", settings), _config_map("cloud-sql", instances),
            _config_map(EVENTS_CONFIG, events), floors_config(env, sale_day=False)]


def _config_map(name: str, data: dict[str, str]) -> Manifest:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "orchid"}},
            "data": data}


def floors(env: Environment | None, group: Group, *, sale_day: bool) -> tuple[int, int, int]:
    """(day floor, night floor, ceiling) of a group; the sale day's are prod's, floors ×4."""
    size = group.sizing
    if sale_day:
        day = size.floor * SALE_DAY_FACTOR
        return day, day, max(size.ceiling, day)
    assert env is not None
    ceiling = max(2, math.ceil(size.ceiling * env.ceiling_scale))
    day = min(ceiling, max(1, round(size.floor * env.floor_scale)))
    night = min(day, max(1, round(size.night_floor * env.floor_scale)))
    return day, night if env.night_scaling else day, ceiling


def floors_config(env: Environment | None, *, sale_day: bool) -> Manifest:
    """What the floors CronJob keeps each autoscaler's minReplicas at, by day and by night."""
    table = {}
    for group in groups():
        day, night, _ = floors(env, group, sale_day=sale_day)
        table[group.name] = {"day": day, "night": night}
    body = {"zone": "Asia/Kolkata", "night": {"from": NIGHT[0], "to": NIGHT[1]},
            "autoscalers": table}
    return _config_map("orchid-floors", {FLOORS_FILE: json.dumps(body, indent=1) + "\n"})


def scaling_patches(env: Environment | None, *, sale_day: bool = False) -> list[Manifest]:
    """The autoscalers' floors (by day) and ceilings."""
    patches = []
    for group in groups():
        day, _, ceiling = floors(env, group, sale_day=sale_day)
        patches.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                        "metadata": {"name": group.name},
                        "spec": {"minReplicas": day, "maxReplicas": ceiling}})
    return patches


def identity_patches(env: Environment) -> list[Manifest]:
    """Each workload's Kubernetes service account, bound to its Google service account."""
    return [{"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": name, "annotations": {
                 "iam.gke.io/gcp-service-account": env.service_account(name)}}}
            for name in google_identities()]


def secret_classes(env: Environment) -> list[Manifest]:
    """A SecretProviderClass per workload: its own secrets from this project, as files."""
    made = []
    for workload, files in workload_secrets().items():
        if not files:
            continue  # its pods mount no secrets volume
        entries = [{"resourceName": f"projects/{env.project}/secrets/{secret}/versions/latest",
                    "path": file} for file, secret in files.items()]
        made.append({"apiVersion": "secrets-store.csi.x-k8s.io/v1",
                     "kind": "SecretProviderClass",
                     "metadata": {"name": workload, "labels": labels(workload, "identity")},
                     "spec": {"provider": "gke", "parameters": {
                         "secrets": yaml.safe_dump(entries, sort_keys=False)}}})
    return made


def egress_policies(env: Environment) -> list[Manifest]:
    """Each workload's way out to its stores' addresses (and providers' for a few)."""
    made = []
    stores = {g.name: (g.stores, g.internet) for g in groups()}
    stores |= {t.name: (t.stores, False) for t in TASKS}
    stores[PROBE] = (PROBE_STORES, False)
    stores[RELAY] = (RELAY_STORES, False)  # Pub/Sub: private Google access (platform.py)
    for workload, (needs, internet) in stores.items():
        rules = _store_rules(env, needs)
        if internet:  # an outside provider, through Cloud NAT; never a private address
            rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(RFC1918)}}],
                          "ports": [{"protocol": "TCP", "port": 443}]})
        if rules:
            made.append(_egress(f"{workload}-stores", workload, rules))
    made.append(_egress("floors-api-server", "floors", [{
        "to": [{"ipBlock": {"cidr": env.ranges.control_plane}}],
        "ports": [{"protocol": "TCP", "port": 443}]}]))
    return made


def _store_rules(env: Environment, needs: frozenset[str]) -> list[Manifest]:
    rules = []
    if needs & {MAIN_DB, WAREHOUSE_DB}:  # the Cloud SQL proxy's connections
        rules.append(_to(env.ranges.private_services, [CLOUD_SQL_PORT]))
    if REDIS in needs:
        rules.append(_to(env.ranges.private_services, list(REDIS_PORTS)))
    if ELASTICSEARCH in needs:
        rules.append(_to(env.ranges.data, [ELASTICSEARCH_PORT]))
    return rules


def _to(cidr: str, ports: list[int]) -> Manifest:
    return {"to": [{"ipBlock": {"cidr": cidr}}],
            "ports": [{"protocol": "TCP", "port": port} for port in ports]}


def _egress(name: str, workload: str, rules: list[Manifest]) -> Manifest:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "labels": labels(workload, "network")},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": workload,
                                                     "app.kubernetes.io/part-of": "orchid"}},
                     "policyTypes": ["Egress"], "egress": rules}}

