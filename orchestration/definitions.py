"""The one Definitions object of salesops, loaded lazily (no dbt parsing at import)."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingestion import build_comp_plans_asset, quota_holders_known, raw_assets
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.transform import dbt_models, dbt_resource

PIPELINE_JOB = "salesops_pipeline"


def build_definitions() -> dg.Definitions:
    pipeline = dg.define_asset_job(
        PIPELINE_JOB,
        selection=dg.AssetSelection.all(),
        description="Ingest every export, build the dbt models with their tests, publish the marts.",
    )
    return dg.Definitions(
        assets=[*raw_assets(), build_comp_plans_asset(), dbt_models(), build_publish_asset()],
        asset_checks=[quota_holders_known],
        jobs=[pipeline],
        schedules=[
            dg.ScheduleDefinition(
                name="salesops_nightly",
                job=pipeline,
                cron_schedule="0 5 * * *",
                default_status=dg.DefaultScheduleStatus.STOPPED,
                description="Every night after the exports arrive (enable it in the UI or with `dagster schedule start`).",
            )
        ],
        resources={"dbt": dbt_resource()},
        # One writer per DuckDB file and ~3 s per step for subprocesses: run steps in-process, serially.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
