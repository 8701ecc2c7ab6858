"""The one Definitions object of salesops, loaded lazily (no dbt parsing at import)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingestion import (
    build_comp_plans_asset,
    crm_references_resolve,
    hr_people_distinct,
    quota_holders_known,
    raw_assets,
)
from orchestration.defs.operations import (
    build_arrival_sensor,
    build_failure_alert_sensor,
    build_nightly_schedule,
    freshness_checks,
)
from orchestration.defs.publish import build_publish_asset, open_deals_have_amounts
from orchestration.defs.reports import REPORT_EMAILS_KEY, build_report_emails_asset, build_report_pack_asset
from orchestration.defs.transform import dbt_models
from orchestration.resources import DataDirLock, SettingsResource
from salesops.settings import Settings, load_settings

PIPELINE_JOB = "salesops_pipeline"
SEND_REPORTS_JOB = "salesops_send_reports"


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything salesops runs, configured by ``settings`` (the resource's defaults; a run may override them)."""
    settings_resource = SettingsResource.from_settings(settings)
    emails = dg.AssetSelection.assets(REPORT_EMAILS_KEY)
    pipeline = dg.define_asset_job(
        PIPELINE_JOB,
        # Emailing the reports is opt-in (SALESOPS_EMAIL_REPORTS): a new install must not mail people by surprise.
        selection=dg.AssetSelection.all() if settings.operations.email_reports else dg.AssetSelection.all() - emails,
        description="Ingest every export, build the dbt models with their tests, publish the marts, "
        "render the reports.",
    )
    send_reports = dg.define_asset_job(
        SEND_REPORTS_JOB, selection=emails, description="Email the latest report pack (each report once)."
    )
    return dg.Definitions(
        assets=[
            *raw_assets(),
            build_comp_plans_asset(),
            dbt_models(),
            build_publish_asset(),
            build_report_pack_asset(),
            build_report_emails_asset(),
        ],
        asset_checks=[
            quota_holders_known,
            hr_people_distinct,
            crm_references_resolve,
            open_deals_have_amounts,
            *freshness_checks(),
        ],
        jobs=[pipeline, send_reports],
        schedules=[build_nightly_schedule(pipeline, settings.operations)],
        sensors=[build_arrival_sensor(pipeline), build_failure_alert_sensor()],
        # Every writing step holds the data dir's lock (one writer at a time); in-process, it is taken once per run.
        resources={
            "settings": settings_resource,
            "data_dir_lock": DataDirLock(settings=settings_resource),
        },
        # One writer per DuckDB file and ~3 s per step for subprocesses: run steps in-process, serially.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
