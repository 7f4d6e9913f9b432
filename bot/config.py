"""Settings: one TOML file, validated at start into typed settings.

Secrets never live in the file: they come from environment variables named in it.
A bad value gives an error that names the key (``catalog.service[2].id: ...``).
"""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.catalog import (
    DEFAULT_SERVICES,
    DEFAULT_SITES,
    DEFAULT_SYSTEM_SERVICES,
    DEFAULT_SYSTEMS,
    Catalog,
    Entry,
    default_names,
    merge_entries,
)
from bot.model import ALL_SITES, Lang
from bot.roles import KNOWN_ROLES, Directory, Person


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSection(_Model):
    timezone: str = "Europe/Brussels"
    language: Lang = "fr"
    name: str = "crisiscell"
    database: str | None = None
    exports_dir: str | None = None  # where /export writes files; default <data dir>/exports
    # One active process per database: it renews a lease this often (a third of it); a
    # standby takes over this long after the active one stopped renewing.
    lease_seconds: int = Field(default=30, ge=3, le=600)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r} (e.g. 'Europe/Brussels')") from e
        return v

    @field_validator("database")
    @classmethod
    def _no_password(cls, v: str | None) -> str | None:
        if v and "@" in v and ":" in v.split("@", 1)[0].split("//", 1)[-1]:
            raise ValueError(
                "the database URL holds a password: set it in the CRISISCELL_DB "
                "environment variable instead of the file"
            )
        return v


class EntryModel(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    names: dict[Lang, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)

    def entry(self) -> Entry:
        return Entry(
            self.id,
            default_names(self.id, {str(k): v for k, v in self.names.items()}),
            tuple(self.aliases),
        )


class CatalogSection(_Model):
    mode: Literal["extend", "replace"] = "extend"
    service: list[EntryModel] = Field(default_factory=list)
    site: list[EntryModel] = Field(default_factory=list)

    @field_validator("site")
    @classmethod
    def _not_all(cls, v: list[EntryModel]) -> list[EntryModel]:
        if any(s.id == ALL_SITES for s in v):
            raise ValueError(f"'{ALL_SITES}' is reserved for the all-sites scope")
        return v


class SystemModel(EntryModel):
    services: list[str] = Field(default_factory=list)  # service ids depending on it


class PlanSection(_Model):
    # "replace" (default): the config's systems, in this order, are the plan;
    # "extend": they come after the built-in ones.
    mode: Literal["extend", "replace"] = "replace"
    system: list[SystemModel] = Field(default_factory=list)


class PersonModel(_Model):
    name: str = Field(min_length=1)
    ids: list[str] = Field(min_length=1)
    roles: list[str] = Field(default_factory=list)

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - KNOWN_ROLES)
        if unknown:
            raise ValueError(
                f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_ROLES))}"
            )
        return v


class QuestionsSection(_Model):
    # Said when no decision covers a question: who decides, and when.
    who_decides: dict[Lang, str] = Field(default_factory=dict)


class MatrixSection(_Model):
    enabled: bool = False
    homeserver: str = ""  # e.g. "https://matrix.hospital.example"
    user_id: str = ""  # e.g. "@crisiscell:hospital.example"
    # Secrets come from environment variables, named here.
    password_env: str = "CRISISCELL_MATRIX_PASSWORD"
    access_token_env: str = "CRISISCELL_MATRIX_TOKEN"
    # Seals the account's private cross-signing keys in the database (crypto-setup).
    key_passphrase_env: str = "CRISISCELL_MATRIX_KEY_PASSPHRASE"
    device_id: str | None = None  # needed with an access token; kept across restarts
    device_name: str = "crisiscell"
    # Who may invite the bot: user ids, or ":server" for everyone on a homeserver.
    # Empty: the people the config gives the role "cell".
    allowed_inviters: list[str] = Field(default_factory=list)
    allowed_rooms: list[str] = Field(default_factory=list)  # room ids; empty: any
    store_dir: str | None = None  # default: <data dir>/matrix
    # Encrypted rooms: "tofu" trusts each device the first time it is seen (and then
    # refuses a changed key); "all" sends to unverified devices too.
    trust: Literal["tofu", "all"] = "tofu"
    names: list[str] = Field(default_factory=list)  # other names users address it by

    @field_validator("homeserver")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on loopback)")
        return v.rstrip("/")


class TeamsSection(_Model):
    enabled: bool = False
    app_id: str = ""  # the bot's Microsoft app (client) id: the tokens' audience
    tenant_id: str = ""  # only this Entra tenant is served
    secret_env: str = "CRISISCELL_TEAMS_SECRET"  # the app's client secret, from this variable
    listen: str = "127.0.0.1:3978"  # the bot's web server (POST /api/messages)
    # No authentication at all: only for a local emulator. Logged loudly.
    local_testing: bool = False
    # Shown in the Teams app package (`crisiscell teams manifest`).
    developer_name: str = "Hospital IT"
    website_url: str = "https://www.hospital.example"
    privacy_url: str = "https://www.hospital.example/privacy"
    terms_url: str = "https://www.hospital.example/terms"

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:3978")
        return v


class AppointmentsSection(_Model):
    # Personal health data: appointments of days older than this are purged (0: never).
    retention_days: int = Field(default=30, ge=0)
    region: str = Field(default="BE", pattern=r"^[A-Z]{2}$")  # phone numbers' default region


class TwilioSettings(_Model):
    account_sid: str = ""  # "AC..."
    auth_token_env: str = "CRISISCELL_TWILIO_TOKEN"  # the auth token, from this variable
    from_number: str = ""  # the sender: an E.164 number or an alphanumeric sender id
    messaging_service_sid: str = ""  # "MG...": used instead of from_number when set
    # The bot's web server as Twilio reaches it (status callbacks and STOP replies go to
    # <public_url>/sms/twilio/status and /sms/twilio/inbound; signatures are checked
    # against it). Empty: no delivery reports.
    public_url: str = ""
    api_base: str = "https://api.twilio.com"  # tests point it at a loopback fake
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("public_url", "api_base")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// on loopback)")
        return v.rstrip("/")


class SmppSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = ""
    password_env: str = "CRISISCELL_SMPP_PASSWORD"
    system_type: str = ""
    source_addr: str = ""  # the sender: a number or an alphanumeric sender id
    source_addr_ton: int = Field(default=5, ge=0, le=6)  # 5: alphanumeric, 1: international
    timeout_seconds: float = Field(default=30.0, gt=0)


TemplateKind = Literal["cancelled", "contact", "correction", "callback"]
PLACEHOLDERS = ("hospital", "date", "time", "service", "site", "hotline")


class NotifySection(_Model):
    # The hospital's name as patients know it, and the number they may call.
    hospital: str = "Hôpital"
    hotline: str = ""
    # Messages per template kind and language. Placeholders: {hospital}, {date}, {time},
    # {service}, {site}, {hotline}. A language left out uses the built-in text.
    templates: dict[TemplateKind, dict[Lang, str]] = Field(default_factory=dict)
    # Two-person rule: the job's creator cannot approve it, unless this is true
    # (small sites with a single cell member on duty).
    single_approver: bool = False
    # log (default; writes to a file, sends nothing), twilio, smpp.
    gateway: Literal["log", "twilio", "smpp"] = "log"
    # Drill: forces the log gateway and prefixes every message with a drill marker.
    drill: bool = False
    rate_per_second: float = Field(default=10.0, ge=0)  # 0: no limit
    concurrency: int = Field(default=4, ge=1, le=200)
    # Transient refusals are retried with backoff until the message expires (0), or at most
    # this many times; invalid numbers and opt-outs are never retried.
    max_attempts: int = Field(default=0, ge=0, le=1000)
    # A message not handed to the gateway within this time after approval expires
    # (and never after the appointment it is about).
    expire_after_hours: float = Field(default=12.0, gt=0)
    # Progress posted every this many percent or seconds, whichever comes first.
    progress_percent: int = Field(default=10, ge=1, le=100)
    progress_seconds: int = Field(default=60, ge=5)
    # Rows left in "sending" by a sender that stopped are reconciled after this long
    # (several senders on PostgreSQL); a lone sender reconciles its own at start.
    stale_after_seconds: int = Field(default=120, ge=2)
    # After a crash, "the provider has no such message" is believed only for a message
    # claimed at least this long ago (then it is sent; before, it is asked again later).
    lookup_grace_seconds: int = Field(default=30, ge=0)
    # Case-by-case call lists: after this many tries without reaching a patient, the
    # patient may be sent a "please call us back" SMS (/calls sms <list>).
    call_max_tries: int = Field(default=3, ge=1, le=20)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    smpp: SmppSettings = Field(default_factory=SmppSettings)

    @field_validator("templates")
    @classmethod
    def _placeholders(
        cls, v: dict[TemplateKind, dict[Lang, str]]
    ) -> dict[TemplateKind, dict[Lang, str]]:
        for kind, by_lang in v.items():
            for lang, text in by_lang.items():
                problem = template_problem(text)
                if problem:
                    raise ValueError(f"{kind}.{lang}: {problem}")
        return v


def template_problem(text: str) -> str | None:
    """Why a message template cannot be used, or None."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as e:
        return f"not a valid template ({e}); write a literal brace as {{{{ or }}}}"
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        return (
            "unknown placeholder(s) "
            + ", ".join("{" + f + "}" for f in unknown)
            + "; known: "
            + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        )
    return None


class WebSection(_Model):
    # The bot's web server (status board, /healthz, /metrics, Teams endpoint, SMS
    # callbacks). Default address: teams.listen.
    listen: str | None = None
    # The internal board (authors, whole notes, SMS jobs) needs this token, taken from
    # this environment variable (?token=... or "Authorization: Bearer ..."). Unset: no
    # internal view.
    internal_token_env: str = "CRISISCELL_WEB_TOKEN"
    # /healthz answers 503 when a message has waited longer than this to be delivered.
    outbox_lag_seconds: int = Field(default=300, ge=10)


class BackupSection(_Model):
    # Scheduled backups by the active process (crisiscell db backup does one by hand).
    directory: str | None = None  # default: <data dir>/backups
    interval_minutes: int = Field(default=0, ge=0)  # 0: no scheduled backups
    keep: int = Field(default=7, ge=1)
    # Backups hold patients' phone numbers: name the variable holding a passphrase to
    # encrypt them (unset variable: the bot refuses to start rather than write them clear).
    passphrase_env: str | None = None


class ShellSection(_Model):
    user: str = "@operator:local"
    user_name: str = "Operator"
    roles: list[str] = Field(default_factory=lambda: ["cell"])


class Settings(_Model):
    bot: BotSection = Field(default_factory=BotSection)
    catalog: CatalogSection = Field(default_factory=CatalogSection)
    plan: PlanSection = Field(default_factory=PlanSection)
    person: list[PersonModel] = Field(default_factory=list)
    shell: ShellSection = Field(default_factory=ShellSection)
    questions: QuestionsSection = Field(default_factory=QuestionsSection)
    matrix: MatrixSection = Field(default_factory=MatrixSection)
    teams: TeamsSection = Field(default_factory=TeamsSection)
    appointments: AppointmentsSection = Field(default_factory=AppointmentsSection)
    notify: NotifySection = Field(default_factory=NotifySection)
    web: WebSection = Field(default_factory=WebSection)
    backup: BackupSection = Field(default_factory=BackupSection)

    @model_validator(mode="after")
    def _matrix_complete(self) -> Settings:
        m = self.matrix
        if m.enabled and not (m.homeserver and m.user_id):
            raise ValueError("matrix: enabled = true needs homeserver and user_id")
        t = self.teams
        if t.enabled and not t.local_testing and not (t.app_id and t.tenant_id):
            raise ValueError(
                "teams: enabled = true needs app_id and tenant_id (authentication is always "
                "on; only a local emulator may use local_testing = true)"
            )
        return self

    def matrix_inviters(self) -> list[str]:
        if self.matrix.allowed_inviters:
            return list(self.matrix.allowed_inviters)
        return [i for p in self.person if "cell" in p.roles for i in p.ids]

    def build_catalog(self) -> Catalog:
        replace = self.catalog.mode == "replace"
        services = merge_entries(
            DEFAULT_SERVICES, [e.entry() for e in self.catalog.service], replace=replace
        )
        sites = merge_entries(
            DEFAULT_SITES, [e.entry() for e in self.catalog.site], replace=replace
        )
        if not services:
            raise ConfigError("catalog: mode 'replace' needs at least one [[catalog.service]]")
        systems: tuple[Entry, ...] = DEFAULT_SYSTEMS
        depends = dict(DEFAULT_SYSTEM_SERVICES)
        if self.plan.system:
            mine = tuple(e.entry() for e in self.plan.system)
            systems = (
                mine
                if self.plan.mode == "replace"
                else merge_entries(DEFAULT_SYSTEMS, mine, replace=False)
            )
            if self.plan.mode == "replace":
                depends = {}
            depends.update({e.id: tuple(e.services) for e in self.plan.system})
        known = {e.id for e in services}
        for system in self.plan.system:
            unknown = sorted(set(system.services) - known)
            if unknown:
                raise ConfigError(
                    f"plan.system {system.id}: unknown service(s) {', '.join(unknown)}"
                )
        # the built-in plan keeps only the services this catalog has
        depends = {k: tuple(x for x in v if x in known) for k, v in depends.items()}
        return Catalog(services=services, sites=sites, systems=systems, system_services=depends)

    def build_directory(self) -> Directory:
        people = [Person(p.name, tuple(p.ids), frozenset(p.roles)) for p in self.person]
        # The terminal operator gets the shell roles (cell by default) on top of any config.
        return Directory(people, extra={self.shell.user: frozenset(self.shell.roles)})


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_settings(text: str, *, source: str = "config") -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from e
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        lines = [f"{source}: {_where(err['loc'])}: {err['msg']}" for err in e.errors()]
        raise ConfigError("\n".join(lines)) from e


def load_settings(path: str | Path | None) -> Settings:
    if path is None:
        return Settings()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{p}: cannot read the config file: {e.strerror}") from e
    settings = parse_settings(text, source=str(p))
    settings.build_catalog()  # surface catalog errors at start
    return settings


EXAMPLE_CONFIG_FILE = Path(__file__).resolve().parent / "data" / "crisiscell.example.toml"


def example_config() -> str:
    """The commented example config shipped with the package (``crisiscell config
    example``); it passes the same validation as a user's file (a test keeps it so)."""
    return EXAMPLE_CONFIG_FILE.read_text(encoding="utf-8")
