"""What each background function reads on Cloud Functions, derived from its module: the settings
(ORCHID_<SETTING>) its process needs, the Secret Manager secret each comes from, the CA files it
verifies its stores with, and how it leaves the VPC.

A function's process builds every service itself (ORCHID_SERVICES unset, as
orchid.deploy.cloud_functions makes sure), reading the stores directly and calling no peer over
HTTP. So it reads the stores its SPEC names and those of every service it calls through
`ctx.services`, with those services' peers, transitively (a peer placed in the same process is
called in it); `secret_key` and `sms_api_key` once it calls any service (assembling them builds
storefront, payments and accounts, which refuse to start without them); `smtp_url` when it
sends mail (orchid.kit.mail). A function that texts (accounts' SMS sender) sends everything
through the VPC and so leaves by Cloud NAT's fixed addresses, which the SMS gateway allow-lists
(as the accounts pods do); the others route only private addresses through the VPC.

The secrets are the pods' (orchid.deploy.secrets) except where a function's value must differ:
the database URLs name the instances' private addresses with TLS verified against the server CA
(the pods' name their Cloud SQL proxy on loopback, which a function has not), and the Redis URL
names the CA at the function's path. Terraform writes those (modules/cloudsql and
modules/memorystore, as `<secret>-functions`), and the CAs themselves (CA_FILES), which a
function mounts as files.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchid.deploy.secrets import STORE_SETTINGS, secret_id
from orchid.functions.runtime import Function
from orchid.services import MAIN_DB, REDIS, WAREHOUSE_DB
from orchid.services.registry import SERVICE_NAMES, declared_peers, specs

MAILER = "orchid.kit.mail"  # a module importing it sends mail (ORCHID_SMTP_URL) …
HOST_MAILER = "mailer_of"  # … and so does one calling the host's shared mailer
TEXTER = "orchid.services.accounts.sms"  # … texts (ORCHID_SMS_*)
SERVICE_SETTINGS = ("secret_key", "sms_api_key")  # what assembling the services takes
FUNCTIONS_OWNER = "functions"  # the secrets only functions read: orchid-<setting>-functions
# Terraform's name of each URL written for the functions (modules/cloudsql's url_secrets keys,
# and Redis's) → its setting.
URL_SETTINGS: dict[str, str] = {
    "main_primary": "main_primary_url", "main_replicas": "main_replica_urls",
    "warehouse_primary": "warehouse_primary_url", "warehouse_replicas": "warehouse_replica_urls",
    "redis": "redis_url"}
PRIVATE_ONLY, ALL_TRAFFIC = "PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"  # Direct VPC egress
# Settings every function gets as plain variables (the platform adds ORCHID_ENV): /tmp is the
# only folder a function may write (search's SQLite fallback index lives in the data folder).
PLAIN_SETTINGS: dict[str, str] = {"ORCHID_LOG_JSON": "true", "ORCHID_DATA_DIR": "/tmp/orchid"}


@dataclass(frozen=True)
class CaFile:
    """A server CA a function verifies a store with: its secret, mounted as this file."""

    secret: str
    path: str  # its own folder: a mounted secret hides whatever else that folder holds


CA_FILES: dict[str, CaFile] = {
    "cloudsql": CaFile("orchid-cloudsql-server-ca", "/etc/secrets/cloudsql/server-ca.pem"),
    "redis": CaFile("orchid-redis-server-ca", "/etc/secrets/redis/server-ca.pem"),
}
STORE_CAS = {MAIN_DB: "cloudsql", WAREHOUSE_DB: "cloudsql", REDIS: "redis"}


@dataclass(frozen=True)
class Reach:
    """What a function's module touches beyond its SPEC's stores."""

    services: frozenset[str]  # called through ctx.services.<name>
    mails: bool
    texts: bool


@cache
def reach(module: str) -> Reach:
    """Read a function's module: the services it calls and whether it mails or texts."""
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        raise ValueError(f"{module}: no such module")
    tree = ast.parse(Path(found.origin).read_text())
    called = {node.attr for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr in SERVICE_NAMES
              and _is_services(node.value)}
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    calls = {node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    mails = MAILER in imported or HOST_MAILER in calls
    return Reach(frozenset(called), mails, TEXTER in imported)


def _is_services(node: ast.expr) -> bool:
    """`services` or `<anything>.services`: the host's services (FunctionContext.services)."""
    return (isinstance(node, ast.Name) and node.id == "services") or (
        isinstance(node, ast.Attribute) and node.attr == "services")


def placed(called: frozenset[str]) -> frozenset[str]:
    """The services `called` and every peer they may call in turn."""
    seen: set[str] = set()
    todo = list(called)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(declared_peers(name))
    return frozenset(seen)


def stores(function: Function) -> frozenset[str]:
    """The stores the function's process reads: its SPEC's and its services'."""
    used = placed(reach(function.module).services)
    return function.spec.stores.union(*(specs()[name].stores for name in used))


def settings(function: Function) -> list[str]:
    """The settings the function's process needs, sorted."""
    found = {s for store in stores(function) for s in STORE_SETTINGS[store]}
    touched = reach(function.module)
    if touched.services:
        found |= set(SERVICE_SETTINGS)
    if touched.mails:
        found.add("smtp_url")
    if touched.texts:
        found.add("sms_api_key")
    return sorted(found)


def secret_of(setting: str) -> str:
    """The secret a function reads `setting` from."""
    own = setting in URL_SETTINGS.values()
    return secret_id(setting, FUNCTIONS_OWNER if own else None)


def secrets(function: Function) -> dict[str, str]:
    """Environment variable → the secret it holds, for one function."""
    return {f"ORCHID_{s.upper()}": secret_of(s) for s in settings(function)}


def ca_files(function: Function) -> list[str]:
    """The CA files (keys of CA_FILES) the function verifies its stores with."""
    return sorted({STORE_CAS[store] for store in stores(function) if store in STORE_CAS})


def egress(function: Function) -> str:
    """What the function sends through the VPC: everything when it texts, else private only."""
    return ALL_TRAFFIC if reach(function.module).texts else PRIVATE_ONLY


def url_secrets() -> dict[str, str]:
    """Terraform's URL key → the secret it writes the functions' URL to."""
    return {key: secret_of(setting) for key, setting in URL_SETTINGS.items()}
