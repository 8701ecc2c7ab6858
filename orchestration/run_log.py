"""A run's record for the run log (publishing/run_log.py), read from its events in the Dagster instance."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from publishing.run_log import RunRecord
from salesops.settings import Settings


def run_record(
    instance: dg.DagsterInstance, run_id: str, status: str, settings: Settings, as_of_date: dt.date | None = None
) -> RunRecord:
    """The run as its events tell it so far: start, checks by outcome, deliveries landed, rows quarantined."""
    started = None
    passed = failed = warned = deliveries = quarantined = 0
    for entry in instance.all_logs(run_id):
        started = started or dt.datetime.fromtimestamp(entry.timestamp, dt.UTC).replace(tzinfo=None)
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                warned += 1
            else:
                failed += 1
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            if "deliveries_landed" in metadata:
                deliveries += len(metadata["deliveries_landed"].value)
            if "rows_quarantined" in metadata:
                quarantined += metadata["rows_quarantined"].value
    return RunRecord(
        run_id=run_id,
        started_at=started,
        ended_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        status=status,
        as_of_date=as_of_date,
        deliveries_loaded=deliveries,
        rows_quarantined=quarantined,
        checks_passed=passed,
        checks_failed=failed,
        checks_warned=warned,
        results_dir=str(settings.runs_dir / run_id),
    )
