"""Settings from the environment, with documented defaults.

Every setting is read from a ``SALESOPS_*`` environment variable. Defaults for
the analytical settings (fiscal year start, reporting currency, stage map) live
once, in ``dbt_project/dbt_project.yml``'s ``vars``; paths default to the XDG
data directory, never to the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@cache
def dbt_project_vars() -> dict:
    """The ``vars`` block of dbt_project.yml: the single home of setting defaults."""
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vars"]


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/salesops``, i.e. ``~/.local/share/salesops`` by default."""
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "salesops"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "salesops"


@dataclass(frozen=True)
class StageDefinition:
    stage_name: str
    funnel_step: str
    stage_order: int
    is_closed: bool
    is_won: bool


@dataclass(frozen=True)
class SmtpSettings:
    """Where report and alert emails go out (stdlib smtplib; STARTTLS and login only when set)."""

    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    from_address: str = "salesops@localhost"


@dataclass(frozen=True)
class OperationsSettings:
    """How the pipeline runs itself: schedule, alerts, freshness, and the report pack."""

    timezone: str = "UTC"
    nightly_cron: str = "0 5 * * *"
    alert_email: str | None = None
    freshness_hours: int = 36
    arrival_settle_seconds: int = 60
    stale_deal_days: int = 30
    head_of_sales: str | None = None
    report_workers: int = 2
    email_reports: bool = False


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    exports_dir: Path
    fiscal_year_start_month: int
    reporting_currency: str
    gross_margin: float
    stage_map: tuple[StageDefinition, ...] = field(default_factory=tuple)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build_database(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_database(self) -> Path:
        return self.warehouse_dir / "salesops.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.stage_name for stage in self.stage_map)

    def dbt_vars(self) -> dict:
        """The settings dbt needs, as ``--vars``."""
        return {
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "reporting_currency": self.reporting_currency,
            "gross_margin": self.gross_margin,
            "stage_map": [stage.__dict__ for stage in self.stage_map],
        }


def _load_stage_map(path: str | None) -> tuple[StageDefinition, ...]:
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                raw = yaml.safe_load(handle)
        except OSError as error:
            raise ValueError(f"SALESOPS_STAGE_MAP={path}: cannot read the stage map ({error}).") from error
        entries = raw.get("stage_map", raw) if isinstance(raw, dict) else raw
        source = path
    else:
        entries = dbt_project_vars()["stage_map"]
        source = "dbt_project.yml vars.stage_map"
    required = {"stage_name", "funnel_step", "stage_order", "is_closed", "is_won"}
    stages = []
    for index, entry in enumerate(entries or [], start=1):
        if not isinstance(entry, dict) or not required <= set(entry):
            raise ValueError(f"{source}: stage entry {index} must have the keys {sorted(required)}; got {entry!r}.")
        stages.append(
            StageDefinition(
                stage_name=str(entry["stage_name"]),
                funnel_step=str(entry["funnel_step"]),
                stage_order=int(entry["stage_order"]),
                is_closed=bool(entry["is_closed"]),
                is_won=bool(entry["is_won"]),
            )
        )
    if not stages:
        raise ValueError(f"{source}: the stage map is empty; list at least one stage.")
    return tuple(stages)


def _fraction_setting(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = float(raw) if raw else float(default)
    except ValueError:
        raise ValueError(f"{name}={raw}: must be a fraction such as 0.8.") from None
    if not 0 <= value <= 1:
        raise ValueError(f"{name}={raw}: must be a fraction between 0 and 1.")
    return value


def _integer_setting(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name}={raw}: must be a whole number such as {default}.") from None
    if value < minimum:
        raise ValueError(f"{name}={raw}: must be at least {minimum}.")
    return value


def _flag_setting(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={env.get(name)}: must be true or false.")


def _timezone_setting(env: Mapping[str, str], name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = env.get(name) or OperationsSettings.timezone
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name}={value}: not an IANA time zone; use a name such as Europe/Berlin or UTC.") from None
    return value


def _smtp_settings(env: Mapping[str, str]) -> SmtpSettings:
    defaults = SmtpSettings()
    return SmtpSettings(
        host=env.get("SALESOPS_SMTP_HOST") or defaults.host,
        port=_integer_setting(env, "SALESOPS_SMTP_PORT", defaults.port, 1),
        starttls=_flag_setting(env, "SALESOPS_SMTP_STARTTLS", defaults.starttls),
        username=env.get("SALESOPS_SMTP_USER") or None,
        password=env.get("SALESOPS_SMTP_PASSWORD") or None,
        from_address=env.get("SALESOPS_MAIL_FROM") or defaults.from_address,
    )


def _operations_settings(env: Mapping[str, str]) -> OperationsSettings:
    defaults = OperationsSettings()
    return OperationsSettings(
        timezone=_timezone_setting(env, "SALESOPS_TIMEZONE"),
        nightly_cron=env.get("SALESOPS_NIGHTLY_CRON") or defaults.nightly_cron,
        alert_email=env.get("SALESOPS_ALERT_EMAIL") or None,
        freshness_hours=_integer_setting(env, "SALESOPS_FRESHNESS_HOURS", defaults.freshness_hours, 1),
        arrival_settle_seconds=_integer_setting(
            env, "SALESOPS_ARRIVAL_SETTLE_SECONDS", defaults.arrival_settle_seconds, 0
        ),
        stale_deal_days=_integer_setting(env, "SALESOPS_STALE_DEAL_DAYS", defaults.stale_deal_days, 1),
        head_of_sales=env.get("SALESOPS_HEAD_OF_SALES") or None,
        report_workers=_integer_setting(env, "SALESOPS_REPORT_WORKERS", defaults.report_workers, 1),
        email_reports=_flag_setting(env, "SALESOPS_EMAIL_REPORTS", defaults.email_reports),
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("SALESOPS_DATA_DIR") or default_data_dir(env)).expanduser().resolve()
    exports_dir = Path(env.get("SALESOPS_EXPORTS_DIR") or data_dir / "exports").expanduser().resolve()
    defaults = dbt_project_vars()
    month = int(env.get("SALESOPS_FISCAL_YEAR_START_MONTH") or defaults["fiscal_year_start_month"])
    if not 1 <= month <= 12:
        raise ValueError(f"SALESOPS_FISCAL_YEAR_START_MONTH={month}: must be a month number 1-12.")
    return Settings(
        data_dir=data_dir,
        exports_dir=exports_dir,
        fiscal_year_start_month=month,
        reporting_currency=(env.get("SALESOPS_REPORTING_CURRENCY") or defaults["reporting_currency"]).lower(),
        gross_margin=_fraction_setting(env, "SALESOPS_GROSS_MARGIN", defaults["gross_margin"]),
        stage_map=_load_stage_map(env.get("SALESOPS_STAGE_MAP")),
        smtp=_smtp_settings(env),
        operations=_operations_settings(env),
    )
