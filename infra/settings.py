"""Every setting of the service, read from `LEDGER_*` environment variables (see README)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.client_address import parse_trusted_proxies


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the event store and read models; unset = embedded Postgres",
    )
    data_dir: Path = Field(
        default=Path("ledger-data"), description="Where the embedded Postgres keeps its data"
    )
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers; unset = projectors read the store"
    )
    kafka_topic: str = "ledger.events"
    kafka_partitions: int = Field(default=8, ge=1, le=1024)
    kafka_session_timeout_ms: int = Field(default=6_000, ge=1_000, le=300_000)
    kafka_heartbeat_interval_ms: int = Field(default=1_000, ge=100, le=60_000)
    kafka_max_poll_interval_ms: int = Field(default=10_000, ge=1_000, le=3_600_000)
    broker_url: str | None = Field(
        default=None,
        description="Dramatiq broker (redis://...); unset = in-process jobs (embedded default)",
    )
    broker_namespace: str = Field(default="ledger", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    worker_threads: int = Field(default=4, ge=1, le=64)
    worker_heartbeat_timeout_s: int = Field(
        default=10,
        ge=2,
        le=3_600,
        description="A worker silent this long is dead: its unfinished jobs run again",
    )
    expiry_sweep_s: int = Field(default=60, ge=1, le=3_600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    db_pool_size: int = Field(
        default=6, ge=1, le=200, description="The API's read pool (opens 1, grows to this)"
    )
    store_pool_size: int = Field(
        default=2, ge=1, le=200, description="Event-store connections each process opens"
    )
    store_pool_max_overflow: int = Field(
        default=2, ge=0, le=200, description="Event-store connections opened under load"
    )
    projector_pool_size: int = Field(
        default=3, ge=1, le=200, description="Shared by every Kafka feed of `ledger project`"
    )
    keyring_pool_size: int = Field(
        default=2, ge=1, le=200, description="Personal-data key lookups (opened on demand)"
    )
    db_lock_timeout_s: int = Field(default=5, ge=0, le=600)
    max_body_bytes: int = Field(default=65_536, ge=1024, le=10_485_760)
    page_size_max: int = Field(default=100, ge=1, le=1000)
    read_wait_max_ms: int = Field(default=5_000, ge=0, le=60_000)
    read_waiters_per_principal: int = Field(default=4, ge=1, le=1_000)
    read_waiters_per_tenant: int = Field(default=8, ge=1, le=1_000)
    read_waiters_max: int = Field(default=16, ge=1, le=1_000)
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed",
    )
    projector_batch_size: int = Field(default=500, ge=1, le=10_000)
    projector_poll_ms: int = Field(default=100, ge=1, le=10_000)
    ready_max_lag_s: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="/readyz is 503 once a projector's oldest unapplied event is older than this",
    )
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    relay_poll_ms: int = Field(default=100, ge=1, le=10_000)
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Encrypts TOTP secrets; unset = a key kept in LEDGER_DATA_DIR/secret.key",
    )
    personal_data_key: str | None = Field(
        default=None,
        description="Master key (32 bytes, URL-safe base64) wrapping each data subject's key; "
        "unset = derived from LEDGER_SECRET_KEY, or kept in LEDGER_DATA_DIR/personal-data.key",
    )
    session_idle_timeout_s: int = Field(default=1_800, ge=60, le=86_400)
    session_absolute_lifetime_s: int = Field(default=43_200, ge=300, le=2_592_000)
    session_max_concurrent: int = Field(default=5, ge=1, le=100)
    session_on_limit: Literal["refuse", "evict_oldest"] = "refuse"
    login_account_max_failures: int = Field(default=5, ge=1, le=1_000)
    login_ip_max_failures: int = Field(default=20, ge=1, le=100_000)
    login_window_s: int = Field(default=900, ge=1, le=86_400)
    login_account_lockout_s: int = Field(default=60, ge=1, le=86_400)
    login_ip_lockout_s: int = Field(default=300, ge=1, le=86_400)
    login_max_lockout_s: int = Field(default=3_600, ge=1, le=604_800)
    password_min_length: int = Field(default=12, ge=8, le=128)
    password_min_classes: int = Field(default=2, ge=1, le=4)
    business_day_holidays: bool = Field(
        default=False,
        description="Count dispute windows, review and payout dates on the reseller's country's"
        " fixed-date public holidays as well as weekends (off: weekends only)",
    )
    commission_holding_days: int = Field(
        default=30,
        ge=0,
        le=365,
        description="Days a payment's commissions stay pending; a reversal inside them voids",
    )
    audit_export_max_rows: int = Field(default=100_000, ge=1, le=10_000_000)
    bi_role: str = Field(default="ledger_bi", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    bi_login: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    bi_password: str | None = Field(default=None, min_length=12)
    isp_country: str = Field(
        default="NG",
        pattern=r"^[A-Z]{2}$",
        description="The ISP's tax country: decides reverse charge on commission invoices",
    )
    fx_max_age_hours: int = Field(
        default=72, ge=1, le=8_760, description="Oldest FX rate a payout may convert at"
    )
    payer_name: str = Field(
        default="Reseller Ledger ISP",
        min_length=1,
        max_length=200,
        description="The ISP's legal name, printed as the payer on 1099-NEC and VAT statements",
    )
    payer_address: str = Field(default="", max_length=500, description="The payer's address")
    payer_tin: str | None = Field(
        default=None,
        pattern=r"^\d{2}-?\d{7}$",
        description="The payer's EIN: in full in the 1099-NEC filing export, masked elsewhere",
    )
    dispute_interest_rate_percent: Decimal = Field(
        default=Decimal("5.00"),
        ge=0,
        le=100,
        description="Annual simple interest on a dispute accepted after its review due date",
    )
    dispute_document_max_bytes: int = Field(default=49_152, ge=1, le=10_485_760)
    log_level: str = "INFO"
    log_json: bool = True
    chain_poll_ms: int = Field(default=1_000, ge=10, le=60_000)
    chain_batch_size: int = Field(default=1_000, ge=1, le=10_000)
    checkpoint_every_events: int = Field(default=1_000, ge=1, le=1_000_000)
    checkpoint_every_s: int = Field(default=300, ge=1, le=86_400)
    checkpoint_dir: Path | None = Field(
        default=None, description="Signed checkpoint files; unset = LEDGER_DATA_DIR/checkpoints"
    )
    checkpoint_key_file: Path | None = Field(
        default=None,
        description="Ed25519 signing key (PEM); unset = LEDGER_DATA_DIR/checkpoint-signing.pem",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for notification e-mail; unset = no e-mail"
    )
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "ledger@localhost"
    sms_gateway_url: str | None = Field(
        default=None, description="HTTP endpoint of the SMS gateway; unset = no SMS"
    )
    sms_sender_id: str = "LEDGER"
    notify_poll_s: float = Field(default=0.5, ge=0.01, le=60)
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    notify_base_backoff_s: float = Field(default=1.0, ge=0.01, le=3_600)
    notify_max_backoff_s: float = Field(default=300.0, ge=0.01, le=86_400)
    webhooks_allow_private_targets: bool = Field(
        default=False,
        description="Let webhooks reach loopback, link-local and private addresses (tests only)",
    )
    webhooks_poll_s: float = Field(default=0.5, ge=0.01, le=60)
    webhooks_max_attempts: int = Field(default=10, ge=1, le=100)
    webhooks_base_backoff_s: float = Field(default=5.0, ge=0.01, le=3_600)
    webhooks_max_backoff_s: float = Field(default=3_600.0, ge=0.01, le=86_400)
    webhooks_timeout_s: float = Field(default=10.0, ge=0.1, le=120)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
