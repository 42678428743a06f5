"""One settings model, read from the environment and `.env` (docs/architecture.md §6)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shenpi.payload_keys import DEV_KEY_FILE, KeyRing, load_key_file
from shenpi_core.limits import ID_RULE, is_user_id

DEV_JWT_SECRET_PLACEHOLDER = "change-me-dev-only"
# Events the interpreter can send by default (reminders, urges, escalations always go).
DEFAULT_NOTIFY_EVENTS = ("task_opened", "outcome")


class Settings(BaseSettings):
    # env_ignore_empty: `SHENPI_X=` (as docker-compose passes an unset optional) means "default".
    model_config = SettingsConfigDict(
        env_prefix="SHENPI_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    env: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = Path(".shenpi")

    # Temporal. Unset address under `shenpi dev` = the embedded dev server.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = "shenpi"
    temporal_ui_port: int = 8233
    temporal_port: int = 7233
    # A TLS connection to Temporal (Temporal Cloud, or a self-hosted server behind TLS). mTLS: a
    # client certificate and key (PEM files); API key: Temporal Cloud's key, sent as a bearer
    # token (TLS is implied). A CA file only for a server whose certificate no public CA signed.
    temporal_tls: bool = False
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_ca_file: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: str | None = None
    # Timer starts run as Temporal Schedules (docs/interpreter.md "Timer starts"): the user a
    # scheduled instance is started by, and the time zone its cron cycles are read in.
    schedule_initiator: str = "scheduler"
    schedule_time_zone: str = "UTC"

    # App database (definitions, audit archive, bindings).
    database_url: str | None = None  # default: sqlite under data_dir

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    update_timeout_seconds: float = 10.0  # bound on every update RPC (docs/architecture.md §3)
    max_bpmn_bytes: int = 5 * 1024 * 1024

    # Auth: HS256 with a local secret in dev; RS256 via JWKS in production.
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    admin_group: str = "admin"
    # Who may publish BPMN messages and signals (POST /messages, /signals), besides admins:
    # a comma list of groups; a service's token carries one of them (docs/api.md).
    message_publishers: str = ""

    # Payload encryption (docs/security.md): AES-256-GCM over every Temporal payload, the archive
    # and AI transcripts. A key ring "id:base64key,..." (the first encrypts, all decrypt) or a file
    # of such entries; with neither outside production, the key `shenpi dev` keeps in the data dir.
    payload_encryption: bool = True  # SHENPI_PAYLOAD_ENCRYPTION=off: run without, explicitly
    payload_keys: SecretStr | None = None
    payload_keys_file: Path | None = None
    # Origins allowed to call /codec/* from a browser (the Temporal UI); comma list.
    # Unset: the local Temporal UI of `shenpi dev` (127.0.0.1 and localhost on temporal_ui_port).
    codec_cors_origins: str | None = None

    # Observability (docs/observability.md). Traces go to this OTLP/HTTP endpoint (the standard
    # OTEL_EXPORTER_OTLP_ENDPOINT works too); neither set: no tracing at all.
    otlp_endpoint: str | None = None
    log_format: Literal["text", "json"] = "text"
    # /metrics counts open instances started longer ago than this as stuck (an alert).
    stuck_instance_hours: float = Field(default=7 * 24, gt=0)

    # Worker
    worker_metrics_port: int = 9464  # Prometheus metrics of the Temporal SDK runtime
    # Runs a worker keeps in memory between their workflow tasks (Temporal's sticky cache). Each
    # holds its start payload, the plan included, several times over (docs/benchmarks.md); an
    # evicted run replays its history on its next task, which for approvals is rare and cheap.
    worker_max_cached_workflows: int = Field(default=1000, ge=0)
    custom_activity_types: str = ""  # "type=module:callable,..." extra activities for this worker

    # Notifications
    notify_webhook_url: str | None = None
    notify_webhook_secret: str | None = None
    # What the interpreter tells people on its own, for instances started from now on: a comma
    # list of task_opened, outcome; "none" for nothing. Unset: both when a channel is configured.
    notify_default_events: str | None = None

    # Directory (who approves): a YAML file, reloaded when it changes (docs/directory.md).
    # None: <data_dir>/directory.yaml if present, else processes/directory.yaml (dev).
    directory_file: Path | None = None

    # WeChat Work (企业微信): messages and cards out, callbacks in (/wechat/work); docs/wechat.md.
    wechat_work_corp_id: str | None = None
    wechat_work_agent_id: int | None = None
    wechat_work_secret: str | None = None
    wechat_work_token: str | None = None  # callback signature token
    wechat_work_aes_key: str | None = None  # callback EncodingAESKey (43 characters)
    wechat_work_api_base: str = "https://qyapi.weixin.qq.com/cgi-bin/"  # another server, for tests
    # WeChat Official Account (公众号): template messages out, callbacks in (/wechat/mp).
    wechat_mp_app_id: str | None = None
    wechat_mp_secret: str | None = None
    wechat_mp_token: str | None = None
    wechat_mp_aes_key: str | None = None  # unset: plain (signature-only) mode
    wechat_mp_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_mp_template_id: str | None = None  # the template notifications are sent with
    # WeChat's web OAuth (网页授权) page: the console signs people in through it inside WeChat.
    wechat_oauth_authorize_url: str = "https://open.weixin.qq.com/connect/oauth2/authorize"
    # A chat message starting with a keyword starts that process: "报销=expense-claim,...".
    wechat_start_processes: str = ""
    # Callbacks older (or newer) than this are refused; a nonce is remembered this long.
    wechat_max_clock_skew_seconds: int = 300

    # A notification refused by a rate limit (WeChat 45009/45011/45033) is retried this much later.
    notify_rate_limit_retry_seconds: float = 60.0

    # Email notifications (SMTP).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "shenpi@localhost"
    smtp_starttls: bool = True

    # Urge (催办): the least time between two urges of one instance.
    urge_min_interval_seconds: float = 600

    # AI review (docs/ai.md). "local": the offline precedent reviewer (no network); "openai": any
    # OpenAI-compatible endpoint (the openai client also reads OPENAI_BASE_URL / OPENAI_API_KEY);
    # "callback": a provider that answers later by calling back (async activity completion).
    ai_provider: Literal["local", "openai", "callback"] = "local"
    ai_model: str | None = None  # None: the provider's default
    ai_base_url: str | None = None  # overrides OPENAI_BASE_URL
    ai_api_key: str | None = None  # overrides OPENAI_API_KEY
    ai_cache: bool = True  # reuse results of identical requests (same request, model and prompt)
    # How the openai provider asks for structured output: "json_schema" (OpenAI, vLLM, Ollama) or
    # "json_object" with the schema in the prompt (endpoints without JSON schema: DeepSeek, Qwen).
    ai_structured_output: Literal["json_schema", "json_object"] = "json_schema"
    # The offline reviewer abstains with fewer precedents than this, or when none is this similar.
    ai_local_min_precedents: int = 3
    ai_local_min_similarity: float = 0.80
    # Callback provider: where jobs are submitted, and the secret that signs callback URLs.
    ai_callback_submit_url: str | None = None
    ai_callback_secret: str | None = None
    # How providers and WeChat reach this API from outside (callback URLs, links in messages).
    public_url: str = "http://127.0.0.1:8000"

    # The web console (/ui/, docs/console.md). The built SPA; None: console/dist in the checkout.
    console_dist_dir: Path | None = None
    # The sign-in page may mint a token for any directory user: only `shenpi dev` turns this on,
    # and only with env=dev (refused otherwise).
    console_dev_sign_in: bool = False
    # OpenID Connect for the console (authorization code + PKCE); the API trusts the issuer's
    # keys through SHENPI_JWT_JWKS_URL.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_scopes: str = "openid profile"

    # Documents: uploaded once, referenced by id in variables (history never holds the bytes).
    blob_store: Literal["local", "s3"] = "local"
    blob_dir: Path | None = None  # local store; None: <data_dir>/blobs
    s3_endpoint_url: str | None = None  # S3-compatible (MinIO in compose)
    s3_bucket: str = "shenpi-documents"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_region: str = "us-east-1"
    max_document_bytes: int = 20 * 1024 * 1024

    # OCR runs on its own task queue (<task_queue>-ocr) in a process pool of this many processes;
    # 0: this worker does not serve OCR (run `shenpi worker --ocr-only` elsewhere).
    ocr_processes: int = 1

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production" and (
            self.jwt_secret in (None, "", DEV_JWT_SECRET_PLACEHOLDER) and not self.jwt_jwks_url
        ):
            raise ValueError("production needs SHENPI_JWT_SECRET or SHENPI_JWT_JWKS_URL")
        return self

    @model_validator(mode="after")
    def _check_payload_keys(self) -> Settings:
        # A malformed or unreadable ring fails at start, not at the first payload.
        if self.payload_keys is not None:
            KeyRing.parse(self.payload_keys.get_secret_value(), source="SHENPI_PAYLOAD_KEYS")
        elif self.payload_keys_file is not None:
            try:
                load_key_file(self.payload_keys_file)
            except OSError as err:
                path = self.payload_keys_file
                raise ValueError(
                    f"SHENPI_PAYLOAD_KEYS_FILE: cannot read {path}: {err.strerror}"
                ) from None
        if (
            self.env == "production"
            and self.payload_encryption
            and not (self.payload_keys or self.payload_keys_file)
        ):
            raise ValueError(
                "production encrypts request content (Temporal payloads, the archive) and needs"
                " a key: set SHENPI_PAYLOAD_KEYS=id:base64key (or SHENPI_PAYLOAD_KEYS_FILE);"
                " `shenpi keys new` prints one. To run without encryption, say so:"
                " SHENPI_PAYLOAD_ENCRYPTION=off"
            )
        return self

    @model_validator(mode="after")
    def _check_temporal_tls(self) -> Settings:
        if (self.temporal_tls_cert_file is None) != (self.temporal_tls_key_file is None):
            raise ValueError(
                "SHENPI_TEMPORAL_TLS_CERT_FILE and SHENPI_TEMPORAL_TLS_KEY_FILE go together (mTLS)"
            )
        return self

    @model_validator(mode="after")
    def _check_schedules(self) -> Settings:
        if not is_user_id(self.schedule_initiator):
            raise ValueError(f"SHENPI_SCHEDULE_INITIATOR must be a user id: {ID_RULE}")
        try:  # refused at start, not at the first deploy of a cron timer
            ZoneInfo(self.schedule_time_zone)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(
                f"SHENPI_SCHEDULE_TIME_ZONE: unknown time zone {self.schedule_time_zone!r}"
                " (an IANA name such as Asia/Shanghai)"
            ) from None
        return self

    @model_validator(mode="after")
    def _refuse_dev_sign_in_outside_dev(self) -> Settings:
        if self.console_dev_sign_in and self.env != "dev":
            raise ValueError("SHENPI_CONSOLE_DEV_SIGN_IN is for `shenpi dev` only (env=dev)")
        return self

    @model_validator(mode="after")
    def _check_notify_default_events(self) -> Settings:
        self.default_notify_events  # noqa: B018 -- refuse a misspelt event at start, not later
        return self

    @property
    def publisher_groups(self) -> list[str]:
        return [g.strip() for g in self.message_publishers.split(",") if g.strip()]

    @property
    def default_notify_events(self) -> list[str] | None:
        """``StartInput.notify_events`` for new instances (None: the interpreter sends none)."""
        text = self.notify_default_events
        if text is None:
            channels = (
                (self.wechat_work_corp_id and self.wechat_work_secret and self.wechat_work_agent_id)
                or (self.wechat_mp_app_id and self.wechat_mp_secret and self.wechat_mp_template_id)
                or self.smtp_host
                or self.notify_webhook_url
            )
            return list(DEFAULT_NOTIFY_EVENTS) if channels else None
        events = [e.strip() for e in text.split(",") if e.strip()]
        if events in ([], ["none"], ["off"]):
            return None
        unknown = [e for e in events if e not in DEFAULT_NOTIFY_EVENTS]
        if unknown:
            raise ValueError(
                f"SHENPI_NOTIFY_DEFAULT_EVENTS: unknown event(s) {', '.join(unknown)}"
                f" (known: {', '.join(DEFAULT_NOTIFY_EVENTS)}, or none)"
            )
        return list(dict.fromkeys(events))

    def payload_key_ring(self) -> KeyRing | None:
        """The key ring payloads and archived content are encrypted with; None: stay plain."""
        if not self.payload_encryption:
            return None
        if self.payload_keys is not None:
            return KeyRing.parse(self.payload_keys.get_secret_value(), source="SHENPI_PAYLOAD_KEYS")
        if self.payload_keys_file is not None:
            return load_key_file(self.payload_keys_file)
        dev_keys = self.data_dir / DEV_KEY_FILE
        if self.env != "production" and dev_keys.exists():
            return load_key_file(dev_keys)
        return None

    @property
    def resolved_codec_cors_origins(self) -> list[str]:
        if self.codec_cors_origins is not None:
            return [o.strip() for o in self.codec_cors_origins.split(",") if o.strip()]
        port = self.temporal_ui_port
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'shenpi.db').resolve()}"

    @property
    def resolved_directory_file(self) -> Path:
        if self.directory_file is not None:
            return self.directory_file
        in_data_dir = self.data_dir / "directory.yaml"
        return in_data_dir if in_data_dir.exists() else Path("processes/directory.yaml")

    @property
    def resolved_console_dist_dir(self) -> Path:
        if self.console_dist_dir is not None:
            return self.console_dist_dir
        return Path(__file__).resolve().parent.parent / "console" / "dist"

    @property
    def resolved_blob_dir(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
