"""Publish the marts once every blocking check upstream has passed."""

import dagster as dg

from orchestration.defs.transform import mart_keys
from orchestration.resources import DataDirLock, SettingsResource
from orchestration.run_log import run_record
from publishing.publish import as_of_date, publish_marts
from publishing.run_log import append_run, read_runs, runs_table
from publishing.suspicious import open_deals_without_amount

PUBLISHED_KEY = dg.AssetKey(["published", "salesops_duckdb"])


def build_publish_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED_KEY,
        deps=mart_keys(),
        group_name="published",
        kinds={"duckdb", "parquet"},
        description="The marts for BI and reports: <data dir>/warehouse/salesops.duckdb (schema marts, readable "
        "by DuckDB 1.x) and <data dir>/warehouse/parquet/<table>/, replaced atomically after a fully green run.",
    )
    def published_marts(
        context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock
    ) -> dg.MaterializeResult:
        settings = settings.value
        as_of = as_of_date(settings.build_database)
        # This run, as far as it has come: every blocking check passed, or it would not be publishing.
        record = run_record(context.instance, context.run.run_id, "published", settings, as_of)
        publication = publish_marts(
            settings.build_database,
            settings.warehouse_dir,
            runs_table([*read_runs(settings.runs_dir), record]),
            memory_limit=settings.operations.memory_limit,
        )
        append_run(settings.runs_dir, record)
        context.log.info(f"published {len(publication.tables)} marts to {publication.database}")
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(publication.database)),
                "parquet": dg.MetadataValue.path(str(publication.parquet_dir)),
                "rows_per_mart": dg.MetadataValue.json(publication.tables),
                "published_at": publication.published_at,
            }
        )

    return published_marts


@dg.asset_check(
    asset=PUBLISHED_KEY,
    name="open_deals_have_amounts",
    blocking=False,
    description="Warns (never blocks) when open deals have no amount: the open pipeline, coverage and the "
    "forecast leave them out.",
)
def open_deals_have_amounts(settings: SettingsResource) -> dg.AssetCheckResult:
    found = open_deals_without_amount(settings.value.published_database)
    return dg.AssetCheckResult(
        passed=found.without_amount == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "open_deals": found.open_deals,
            "without_amount": found.without_amount,
            "share_of_open_deals": round(found.share, 4),
        },
        description=None if found.without_amount == 0 else found.describe(),
    )
