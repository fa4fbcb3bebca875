"""One settings object, read from ORCHID_* environment variables and secret files.

Built once at the entry point (the CLI) and passed down; nothing below imports it as a global.
Unset URLs fall back to the embedded defaults: SQLite files under `data_dir`, in-process
cache and sessions.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICE_NAMES = ("catalog", "accounts", "cart", "inventory", "payments", "orders",
                 "search", "storefront")
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "password", "xxx", "todo"}


class Settings(BaseSettings):
    """Every knob of an Orchid process, with the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="ORCHID_", extra="ignore")

    env: str = "dev"
    data_dir: Path = Path(".orchid")
    host: str = "127.0.0.1"
    port: int = 8000

    # Data layer. None → embedded (SQLite file / in-process).
    main_primary_url: str | None = None
    main_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    warehouse_primary_url: str | None = None
    warehouse_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_url: str | None = None
    elasticsearch_url: str | None = None  # None → SQLite FTS5 in the main data dir

    # Replica routing.
    replica_max_lag_seconds: float = 2.0
    replica_retry_seconds: float = 5.0
    replica_check_interval_seconds: float = 1.0
    read_your_writes_seconds: float = 5.0
    db_pool_size: int = 10

    # Cache.
    cache_ttl_seconds: int = 300
    cache_jitter: float = 0.1
    redis_retry_seconds: float = 2.0
    redis_timeout_seconds: float = 1.0
    redis_max_connections: int = 200

    # Placement: which services this process runs; peers for the others.
    services: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SERVICE_NAMES))
    peer_catalog_url: str | None = None
    peer_accounts_url: str | None = None
    peer_cart_url: str | None = None
    peer_inventory_url: str | None = None
    peer_payments_url: str | None = None
    peer_orders_url: str | None = None
    peer_search_url: str | None = None
    peer_timeout_seconds: float = 5.0
    internal_token: SecretStr | None = None

    # Accounts.
    secret_key: SecretStr | None = None
    session_ttl_seconds: int = 30 * 24 * 3600
    cookie_secure: bool = False
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_sends_per_phone: int = 3
    otp_sends_per_ip: int = 20
    otp_send_window_seconds: int = 900
    sms_gateway_url: str | None = None
    sms_api_key: SecretStr | None = None

    # Background sweep of expired reservations and abandoned checkouts (0 disables).
    sweep_interval_seconds: float = 30.0

    # HTTP.
    max_body_bytes: int = 1024 * 1024
    # Addresses of the edge: X-Forwarded-For is believed from these only (none when embedded).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_json: bool = True
    migrations_dir: Path = Path(__file__).resolve().parents[2] / "migrations"

    @field_validator("main_replica_urls", "warehouse_replica_urls", "services",
                     "trusted_proxies", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("services")
    @classmethod
    def _known_services(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SERVICE_NAMES))
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {', '.join(SERVICE_NAMES)}")
        return value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        for name in ("secret_key", "internal_token", "sms_api_key"):
            value: SecretStr | None = getattr(self, name)
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

    def peer_url(self, service: str) -> str | None:
        """Return the base URL of the process that runs `service`, if configured."""
        value: str | None = getattr(self, f"peer_{service}_url", None)
        return value

    def require_secret_key(self) -> str:
        """Return the secret key or fail by name."""
        if self.secret_key is None:
            raise RuntimeError("ORCHID_SECRET_KEY is not set (env var or secret file)")
        return self.secret_key.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, reading secret files from `<data_dir>/secrets`."""
    probe = Settings(**overrides)  # type: ignore[arg-type]
    secrets_dir = probe.data_dir / "secrets"
    if secrets_dir.is_dir():
        return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[arg-type]
    return probe


def ensure_dev_secret(data_dir: Path) -> None:
    """Create a random secret key file for the embedded dev setup if none exists."""
    path = data_dir / "secrets" / "orchid_secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
