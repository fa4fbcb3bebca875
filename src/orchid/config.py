"""One settings object, read from ORCHID_* environment variables and secret files.

Built once at the entry point (the CLI) and passed down; nothing below imports it as a global.
Unset URLs fall back to the embedded defaults: SQLite files under `data_dir`, in-process
cache and sessions.
"""

from __future__ import annotations

import secrets
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from orchid.kit.callers import new_key_set, write_key_files

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "password", "xxx", "todo"}


class Settings(BaseSettings):
    """Every knob of an Orchid process, with the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="ORCHID_", extra="ignore")

    env: str = "dev"
    data_dir: Path = Path(".orchid")
    host: str = "127.0.0.1"
    port: int = 8000

    # Data layer. None → embedded (SQLite file / in-process).
    # TLS lives in the URLs (docs/operations.md, "Secure connections"): a MySQL URL's
    # `?ssl_ca=/path/ca.pem` makes the engine require TLS and verify the server's certificate
    # against that CA for the URL's host (kit/db.py server_tls; no other ssl_* is accepted);
    # Redis takes redis-py's `rediss://host:port/0?ssl_ca_certs=/path/ca.pem&ssl_cert_reqs=required`.
    main_primary_url: str | None = None
    main_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    warehouse_primary_url: str | None = None
    warehouse_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    elasticsearch_url: str | None = None  # None → SQLite FTS5 in the main data dir
    # How often a search makes its process read the catalog's change feed (at most; 0: never).
    # Where the search-index function runs it is only the catch-up path (the stack: minutes).
    search_auto_sync_seconds: float = 5.0

    # Replica routing.
    replica_max_lag_seconds: float = 2.0
    replica_retry_seconds: float = 5.0
    replica_check_interval_seconds: float = 1.0
    read_your_writes_seconds: float = 5.0
    db_pool_size: int = 10

    # Cache. Off, the services' caches keep nothing and every read goes to its store: to
    # measure what the cache saves (bench/offload.py), or to rule it out in an incident.
    cache_enabled: bool = True
    cache_ttl_seconds: int = 300
    cache_jitter: float = 0.1
    redis_retry_seconds: float = 2.0
    redis_timeout_seconds: float = 1.0
    redis_max_connections: int = 200

    # Placement: which services this process runs (none named: all of them), where the peers
    # it calls run ("catalog=http://10.0.0.5:8000,cart=…"), and the caller keys of internal
    # calls: this process's own, by calling service ("orders=<key>", secret), and the SHA-256
    # digests of the keys whose calls it accepts ("storefront=<hex>", not secret).
    services: Annotated[list[str], NoDecode] = Field(default_factory=list)
    peer_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    peer_timeout_seconds: float = 5.0
    internal_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    internal_callers: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    secrets_dir: Path | None = None  # default: <data_dir>/secrets

    # Accounts.
    secret_key: SecretStr | None = None
    session_ttl_seconds: int = 30 * 24 * 3600
    cookie_secure: bool = False
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_sends_per_phone: int = 3
    otp_sends_per_ip: int = 20
    otp_send_window_seconds: int = 900
    # Failed password sign-ins (see accounts' throttle): a known device has its own bucket;
    # others count per (account, address), per address, and all together per account.
    login_failures_per_device: int = 10
    login_failures_per_account_and_address: int = 10
    login_failures_per_address: int = 100
    login_window_seconds: int = 900
    login_untrusted_failures_per_account: int = 100
    login_untrusted_window_seconds: int = 3600
    sms_gateway_url: str | None = None
    sms_api_key: SecretStr | None = None

    # Operations (`orchid ops`, see orchid/ops/targets.py): a deployment's database members,
    # configured primary first ("main-a=10.0.0.5:3306,main-b=10.0.0.6:3306"), the operator's
    # account, the CA of the servers' certificates, and where backups go and how long they stay.
    ops_main_members: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    ops_warehouse_members: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    ops_admin_user: str = "orchid_ops"
    ops_admin_password: SecretStr | None = None
    ops_replication_user: str = "repl"
    ops_replication_password: SecretStr | None = None
    ops_ca_file: Path | None = None
    ops_snapshot_repository: Path | None = None  # Elasticsearch's path.repo, as it sees it
    backup_dir: Path = Path(".orchid/backups")
    # On GKE the databases are Cloud SQL: the primaries' connection names (project:region:name)
    # that `orchid ops cloud-backup` backs up.
    ops_cloud_sql_primaries: Annotated[list[str], NoDecode] = Field(default_factory=list)
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    backup_keep_monthly: int = 12

    # Background sweep of expired reservations and abandoned checkouts (0 disables).
    sweep_interval_seconds: float = 30.0

    # Events: publish this process's databases' outboxes from inside it (embedded: to the
    # in-process bus). Several processes may all do it (the relay locks rows with SKIP LOCKED).
    events_relay: bool = True
    # How long an idle relay waits before it looks again on its own (a plain read of one index
    # entry): writers ring it awake as they commit (kit/doorbell.py), so this only bounds how
    # late an event whose ring was lost goes out — or one written by a process that cannot
    # ring this relay (no shared Redis).
    events_relay_idle_seconds: float = 2.0
    # The bus: Google Pub/Sub of this project when set (the emulator when PUBSUB_EMULATOR_HOST
    # is, which the client reads itself); otherwise the process's own in-process bus.
    pubsub_project: str | None = None
    # The background functions (orchid/functions): run by this process on its bus (embedded),
    # or by their own processes (`orchid functions serve`, the stack, GKE).
    functions_in_process: bool = True
    # Where services reach a function over HTTP ("abandoned-cart=http://127.0.0.1:8301/"), this
    # process's service-account key (IAM's JSON key format) for the identity tokens it mints,
    # and — in a function's process — its own URL (the audience its callers' tokens must
    # name) and the public keys it trusts (JSON: key id → {"email", "public_pem"}).
    function_urls: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    service_account_file: Path | None = None
    function_url: str | None = None
    identity_keys_file: Path | None = None
    # Mail: an SMTP server ("smtp://127.0.0.1:2525"); unset → kept in the process (dev).
    smtp_url: str | None = None
    mail_from: str = "Orchid <orders@orchid.example>"
    staff_alerts_email: str = "stock-team@orchid.example"

    # HTTP.
    max_body_bytes: int = 1024 * 1024
    # Addresses of the edge: X-Forwarded-For is believed from these only (none when embedded).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Who may scrape /metrics (CIDRs), straight to the app port: never through a proxy.
    metrics_allowed_networks: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")])
    log_json: bool = True

    # Traces (kit/tracing.py, docs/observability.md): with neither a folder nor an endpoint,
    # nothing is traced at all.
    traces_dir: Path | None = Field(None, description=(
        "Folder where each process appends its finished spans as JSON lines (one machine; "
        "read with `orchid traces`)."))
    otlp_endpoint: str | None = Field(None, description=(
        "Base URL of an OpenTelemetry collector's OTLP/HTTP receiver (http://collector:4318); "
        "spans are sent in batches to its /v1/traces."))
    trace_sample_ratio: float = Field(1.0, ge=0.0, le=1.0, description=(
        "Share of new traces kept; a traced caller's decision is always followed."))
    migrations_dir: Path = Path(__file__).resolve().parents[2] / "migrations"

    @field_validator("main_replica_urls", "warehouse_replica_urls", "services",
                     "ops_cloud_sql_primaries",
                     "trusted_proxies", "metrics_allowed_networks", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("peer_urls", "internal_keys", "internal_callers", "ops_main_members",
                     "ops_warehouse_members", "function_urls", mode="before")
    @classmethod
    def _split_pairs(cls, value: object) -> object:
        if isinstance(value, SecretStr):  # a secret file is read as one secret string
            value = value.get_secret_value()
        if isinstance(value, str):
            pairs = [part.strip().partition("=") for part in value.split(",") if part.strip()]
            bad = [name for name, eq, given in pairs if not (name and eq and given)]
            if bad:
                raise ValueError(f"expected name=value pairs separated by commas, got {bad}")
            return {name.strip(): given.strip() for name, _, given in pairs}
        return value

    @field_validator("traces_dir", "otlp_endpoint", "pubsub_project", "smtp_url",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # ORCHID_TRACES_DIR= turns tracing off

    @field_validator("otlp_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("ORCHID_OTLP_ENDPOINT must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        named = {name: getattr(self, name) for name in ("secret_key", "sms_api_key")}
        named |= {f"internal_keys[{caller}]": key for caller, key in self.internal_keys.items()}
        for name, value in named.items():
            plain = value.get_secret_value().strip().lower() if value is not None else None
            if plain is not None and plain in PLACEHOLDER_SECRETS:
                raise ValueError(f"ORCHID_{name.upper()} is a placeholder; set a real secret")
        return self

    @property
    def embedded(self) -> bool:
        """True when no external database is configured."""
        return self.main_primary_url is None

    def main_url(self) -> str:
        """Return the main primary URL (embedded SQLite file when unset)."""
        return self.main_primary_url or f"sqlite+aiosqlite:///{self.data_dir / 'main.db'}"

    def warehouse_url(self) -> str:
        """Return the warehouse primary URL (embedded SQLite file when unset)."""
        embedded = f"sqlite+aiosqlite:///{self.data_dir / 'warehouse.db'}"
        return self.warehouse_primary_url or embedded

    def require_secret_key(self) -> str:
        """Return the secret key or fail by name."""
        if self.secret_key is None:
            raise RuntimeError("ORCHID_SECRET_KEY is not set (env var or secret file)")
        return self.secret_key.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, reading secret files from `secrets_dir`."""
    probe = Settings(**overrides)  # type: ignore[arg-type]
    secrets_dir = probe.secrets_dir or probe.data_dir / "secrets"
    if secrets_dir.is_dir():
        return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[arg-type]
    return probe


def ensure_dev_internal_keys(settings: Settings, callers: list[str]) -> None:
    """Give an embedded dev setup split over processes one key per caller, shared by all.

    Every process of such a setup reads the same secrets folder, so each may pose as any
    caller: fine on a laptop; a real deployment gives each process only its own keys.
    """
    folder = settings.secrets_dir or settings.data_dir / "secrets"
    if not (folder / "orchid_internal_keys").exists():
        write_key_files(folder, new_key_set(callers))


def ensure_dev_secret(data_dir: Path) -> None:
    """Create a random secret key file for the embedded dev setup if none exists."""
    path = data_dir / "secrets" / "orchid_secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
