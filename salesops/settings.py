"""Settings: one typed object, validated on load, with documented defaults.

``Settings`` is built from ``SALESOPS_*`` environment variables by
``load_settings`` (``ENVIRONMENT`` maps each variable to its field). Defaults
of the analytical settings (fiscal year start, reporting currency, gross
margin, stage map) live once, in ``dbt_project/dbt_project.yml``'s ``vars``;
paths default to the XDG data directory, never to the current directory.

The orchestration layer hands the object to the assets as a Dagster resource
(``orchestration/resources.py``), so that the UI shows it and a run can
override it; nothing below the CLI reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingestion.contracts import ENTITIES, FEEDS_PAY, QUARANTINABLE

# The units DuckDB's memory_limit accepts.
MEMORY_SIZE = re.compile(r"\d+(\.\d+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@cache
def dbt_project_vars() -> dict:
    """The ``vars`` block of dbt_project.yml: the single home of the analytical defaults."""
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["vars"]


def default_data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/salesops``, i.e. ``~/.local/share/salesops`` by default."""
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "salesops"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "share" / "salesops"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageDefinition(_Model):
    """One CRM stage of the sales process."""

    stage_name: str = Field(description="The stage as the CRM names it (StageName).")
    funnel_step: str = Field(description="The funnel step it belongs to: lead, prospect, opportunity, customer, lost.")
    stage_order: int = Field(description="Its position in the sales process (1 = first).")
    is_closed: bool = Field(description="Whether a deal in this stage is closed.")
    is_won: bool = Field(description="Whether a deal in this stage is won.")


class SmtpSettings(_Model):
    """Where report and alert emails go out (stdlib smtplib; STARTTLS and login only when set)."""

    host: str = Field("localhost", description="SALESOPS_SMTP_HOST: the mail server.")
    port: int = Field(25, ge=1, le=65535, description="SALESOPS_SMTP_PORT: its port.")
    starttls: bool = Field(False, description="SALESOPS_SMTP_STARTTLS: upgrade the connection with STARTTLS.")
    username: str | None = Field(None, description="SALESOPS_SMTP_USER: login, if the server needs one.")
    password: str | None = Field(None, description="SALESOPS_SMTP_PASSWORD: its password.")
    from_address: str = Field("salesops@localhost", description="SALESOPS_MAIL_FROM: the sender of every email.")


class OperationsSettings(_Model):
    """How the pipeline runs itself: schedule, alerts, freshness, and the report pack."""

    # The schedule and the choice of the pipeline's assets are made when the definitions load: a run's
    # override of these three changes nothing (restart `salesops serve` with the new variables).
    timezone: str = Field(
        "UTC", description="SALESOPS_TIMEZONE: IANA time zone of the nightly schedule (read at start-up)."
    )
    nightly_cron: str = Field(
        "0 5 * * *", description="SALESOPS_NIGHTLY_CRON: when the nightly run starts (read at start-up)."
    )
    alert_email: str | None = Field(None, description="SALESOPS_ALERT_EMAIL: who hears about a failed run.")
    freshness_hours: int = Field(
        36, ge=1, description="SALESOPS_FRESHNESS_HOURS: a source loaded longer ago than this warns."
    )
    arrival_settle_seconds: int = Field(
        60, ge=0, description="SALESOPS_ARRIVAL_SETTLE_SECONDS: a delivery starts a run once unchanged this long."
    )
    stale_deal_days: int = Field(
        30, ge=1, description="SALESOPS_STALE_DEAL_DAYS: an open deal unchanged this long is stale in the reports."
    )
    head_of_sales: str | None = Field(
        None, description="SALESOPS_HEAD_OF_SALES: Employee # who receives the company report."
    )
    report_workers: int = Field(2, ge=1, description="SALESOPS_REPORT_WORKERS: processes rendering the reports.")
    memory_limit: str = Field(
        "768MB",
        description="SALESOPS_MEMORY_LIMIT: DuckDB's memory in the dbt build and the publish step, e.g. 1GB or "
        "512MiB; a step that needs more spills to disk under the data dir.",
    )
    email_reports: bool = Field(
        False,
        description="SALESOPS_EMAIL_REPORTS: the pipeline emails the reports after rendering them (read at start-up).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone; use a name such as Europe/Berlin or UTC") from None
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory_size(cls, value: str) -> str:
        if not MEMORY_SIZE.fullmatch(value):
            raise ValueError("not a memory size; write a number and a unit, such as 1GB, 1.5GB or 512MiB")
        return value.replace(" ", "")


class Settings(_Model):
    """Everything salesops is configured with."""

    data_dir: Path = Field(description="SALESOPS_DATA_DIR: the lake, the warehouse, the reports, run state.")
    exports_dir: Path = Field(
        description="SALESOPS_EXPORTS_DIR: the drop folder the exports arrive in (override it with data_dir: "
        "its default, <data dir>/exports, is taken when the settings load)."
    )
    fiscal_year_start_month: int = Field(
        ge=1, le=12, description="SALESOPS_FISCAL_YEAR_START_MONTH: first month of the fiscal year (1-12)."
    )
    reporting_currency: str = Field(description="SALESOPS_REPORTING_CURRENCY: ISO code of the reporting currency.")
    gross_margin: float = Field(ge=0, le=1, description="SALESOPS_GROSS_MARGIN: gross margin of recurring revenue.")
    stage_map: tuple[StageDefinition, ...] = Field(
        min_length=1, description="SALESOPS_STAGE_MAP (a YAML file): the CRM stages of the sales process."
    )
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="The mail server.")
    operations: OperationsSettings = Field(default_factory=OperationsSettings, description="Schedules and reports.")
    quarantine: tuple[str, ...] = Field(
        QUARANTINABLE,
        description="SALESOPS_QUARANTINE: the inputs (source.entity, comma separated, or none) whose rows that "
        "break a row rule are set aside in the quarantine while the rest of the delivery lands; in any other "
        "input such a row blocks the run. Default: every input that commissions are not computed from.",
    )

    @field_validator("reporting_currency")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()

    @field_validator("quarantine", mode="before")
    @classmethod
    def _quarantinable_inputs(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = (
                () if value.strip().lower() == "none" else [part.strip() for part in value.split(",") if part.strip()]
            )
        keys = tuple(value)
        unknown = [key for key in keys if key not in {entity.key for entity in ENTITIES}]
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: no such input; name inputs as source.entity, e.g. crm.task")
        paying = [key for key in keys if key in FEEDS_PAY]
        if paying:
            raise ValueError(
                f"{', '.join(paying)}: commissions are computed from this input, so a bad row in it blocks the run "
                "(setting it aside would change someone's pay); remove it from the list"
            )
        return keys

    @field_validator("data_dir", "exports_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        """Absolute, so that a path given relative (a run's override, say) means one folder to every step and dbt."""
        return value.expanduser().resolve()

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
    def runs_dir(self) -> Path:
        """The run log and each run's check results (``<run id>/validations/``)."""
        return self.data_dir / "runs"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this data dir: its parse state, compiled SQL and run results."""
        return self.data_dir / "dbt-target"

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
            "stage_map": [stage.model_dump() for stage in self.stage_map],
        }


ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "SALESOPS_DATA_DIR": ("data_dir",),
    "SALESOPS_EXPORTS_DIR": ("exports_dir",),
    "SALESOPS_FISCAL_YEAR_START_MONTH": ("fiscal_year_start_month",),
    "SALESOPS_REPORTING_CURRENCY": ("reporting_currency",),
    "SALESOPS_GROSS_MARGIN": ("gross_margin",),
    "SALESOPS_STAGE_MAP": ("stage_map",),
    "SALESOPS_SMTP_HOST": ("smtp", "host"),
    "SALESOPS_SMTP_PORT": ("smtp", "port"),
    "SALESOPS_SMTP_STARTTLS": ("smtp", "starttls"),
    "SALESOPS_SMTP_USER": ("smtp", "username"),
    "SALESOPS_SMTP_PASSWORD": ("smtp", "password"),
    "SALESOPS_MAIL_FROM": ("smtp", "from_address"),
    "SALESOPS_TIMEZONE": ("operations", "timezone"),
    "SALESOPS_NIGHTLY_CRON": ("operations", "nightly_cron"),
    "SALESOPS_ALERT_EMAIL": ("operations", "alert_email"),
    "SALESOPS_FRESHNESS_HOURS": ("operations", "freshness_hours"),
    "SALESOPS_ARRIVAL_SETTLE_SECONDS": ("operations", "arrival_settle_seconds"),
    "SALESOPS_STALE_DEAL_DAYS": ("operations", "stale_deal_days"),
    "SALESOPS_HEAD_OF_SALES": ("operations", "head_of_sales"),
    "SALESOPS_REPORT_WORKERS": ("operations", "report_workers"),
    "SALESOPS_MEMORY_LIMIT": ("operations", "memory_limit"),
    "SALESOPS_EMAIL_REPORTS": ("operations", "email_reports"),
    "SALESOPS_QUARANTINE": ("quarantine",),
}
"""Each environment variable and the field it sets (an unset or empty variable keeps the default)."""


def _stage_map_file(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except OSError as error:
        raise ValueError(f"SALESOPS_STAGE_MAP={path}: cannot read the stage map ({error}).") from error
    except yaml.YAMLError as error:
        raise ValueError(f"SALESOPS_STAGE_MAP={path}: not valid YAML ({error}).") from error
    return raw.get("stage_map", raw) if isinstance(raw, dict) else raw


def _variable_of(location: tuple) -> str | None:
    for variable, field in ENVIRONMENT.items():
        if location[: len(field)] == field:
            return variable
    return None


def _explain(error: ValidationError, env: Mapping[str, str]) -> str:
    """One line per invalid setting, naming the environment variable (or the stage map entry) and its value."""
    lines = []
    problems = error.errors()
    entries_invalid = any(problem["loc"][0] == "stage_map" and len(problem["loc"]) > 1 for problem in problems)
    for problem in problems:
        location = tuple(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if entries_invalid and location == ("stage_map",):
            continue  # the list is short only because its entries are invalid: they are named instead
        variable = _variable_of(location)
        if location[0] == "stage_map" and len(location) > 1:
            source = env.get("SALESOPS_STAGE_MAP") or "dbt_project.yml vars.stage_map"
            detail = f" (field {location[2]})" if len(location) > 2 else ""
            lines.append(f"{source}: stage entry {location[1] + 1}{detail}: {message}.")
        elif variable and env.get(variable):
            lines.append(f"{variable}={env[variable]}: {message}.")
        else:
            lines.append(f"{'.'.join(map(str, location))}: {message}.")
    return " ".join(lines)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``SALESOPS_*`` variables (``os.environ`` unless given), with the defaults."""
    env = os.environ if environ is None else environ
    defaults = dbt_project_vars()
    data_dir = Path(env.get("SALESOPS_DATA_DIR") or default_data_dir(env)).expanduser().resolve()
    values: dict[str, Any] = {
        "fiscal_year_start_month": defaults["fiscal_year_start_month"],
        "reporting_currency": defaults["reporting_currency"],
        "gross_margin": defaults["gross_margin"],
        "stage_map": defaults["stage_map"],
        "smtp": {},
        "operations": {},
    }
    for variable, field in ENVIRONMENT.items():
        if env.get(variable):
            target = values
            for part in field[:-1]:
                target = target[part]
            target[field[-1]] = env[variable]
    if env.get("SALESOPS_STAGE_MAP"):
        values["stage_map"] = _stage_map_file(env["SALESOPS_STAGE_MAP"])
    values["data_dir"] = data_dir
    values["exports_dir"] = Path(env.get("SALESOPS_EXPORTS_DIR") or data_dir / "exports").expanduser().resolve()
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        raise ValueError(_explain(error, env)) from None
