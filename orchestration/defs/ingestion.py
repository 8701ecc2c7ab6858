"""One asset per input file kind: land new deliveries in the raw lake, gated by GX.

Each asset carries a blocking check: the GX suite of its new batches (plus the
values that did not parse). A failure lands nothing, blocks everything
downstream, and names the file, line and column in the check's metadata. In
an input the ``quarantine`` setting names, rows breaking a row rule are set
aside instead; a second, non-blocking check warns with their count per rule.
"""

import dagster as dg

from ingestion.comp_plans import COMP_PLAN_TABLES
from ingestion.contracts import ENTITIES, Entity, entity
from ingestion.ingest import EntityIngestion, ingest_comp_plans, ingest_entity
from ingestion.quality import write_validations
from ingestion.readers import ExportError
from ingestion.references import hr_people_problems, quotas_for_unknown_people, suspicious_crm_records
from orchestration.resources import DataDirLock, SettingsResource

CHECK_NAME = "raw_batch_valid"
QUARANTINE_CHECK = "no_rows_quarantined"
DRIFT_CHECK = "columns_as_before"
COMP_PLANS_CHECK = "comp_plans_valid"
QUOTA_PEOPLE_CHECK = "quota_holders_known"
HR_PEOPLE_CHECK = "hr_people_distinct"
CRM_REFERENCES_CHECK = "crm_references_resolve"


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.source, entity.name])


def _failure_table(outcome: EntityIngestion) -> str:
    rows = ["| file | column | rule | expectation | failing rows | sample (line: value) |", "|---|---|---|---|---|---|"]
    for validation in outcome.validations:
        for failure in validation.failures:
            samples = "; ".join(
                f"{sample.get('_line_number')}: {sample.get(failure.column)!r}" for sample in failure.samples
            )
            rows.append(
                f"| {validation.file} | {failure.column} | {failure.rule} | {failure.expectation} "
                f"| {failure.unexpected_count} | {samples} |"
            )
    return "\n".join(rows)


def _check_result(outcome: EntityIngestion) -> dg.AssetCheckResult:
    failures = [failure for validation in outcome.validations for failure in validation.failures]
    metadata = {
        "new_batches": len(outcome.batches),
        "rows_checked": sum(validation.rows for validation in outcome.validations),
        "expectations_evaluated": sum(validation.evaluated for validation in outcome.validations),
        "failed_expectations": len(failures),
        "failing_rows": sum(failure.unexpected_count for failure in failures),
    }
    if failures:
        metadata["failures"] = dg.MetadataValue.md(_failure_table(outcome))
    return dg.AssetCheckResult(
        check_name=CHECK_NAME,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def _quarantine_check(outcome: EntityIngestion, quarantine: bool) -> dg.AssetCheckResult:
    by_rule = outcome.rows_quarantined
    rows = outcome.records_quarantined
    metadata: dict = {"quarantine_allowed": quarantine, "rows_quarantined": rows}
    if by_rule:
        metadata["rows_by_rule"] = dg.MetadataValue.json(by_rule)
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        passed=not by_rule,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=None
        if not by_rule
        else f"{rows} row(s) set aside in the quarantine ("
        + "; ".join(f"{rule}: {count}" for rule, count in sorted(by_rule.items()))
        + "); the rest landed. See marts.rpt_quarantined_rows for file, line and values; "
        "correct them in a later delivery.",
    )


def _drift_check(outcome: EntityIngestion) -> dg.AssetCheckResult:
    metadata: dict = {"deliveries_compared": len(outcome.batches), "deliveries_with_drift": len(outcome.drift)}
    if outcome.drift:
        metadata["drift"] = dg.MetadataValue.json(
            [
                {
                    "file": drift.file,
                    "compared_with": drift.previous_file,
                    "new_columns": list(drift.new_columns),
                    "missing_columns": list(drift.missing_columns),
                }
                for drift in outcome.drift
            ]
        )
    return dg.AssetCheckResult(
        check_name=DRIFT_CHECK,
        passed=not outcome.drift,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description="; ".join(drift.describe() for drift in outcome.drift) or None,
    )


def build_raw_asset(entity: Entity) -> dg.AssetsDefinition:
    key = raw_asset_key(entity)

    @dg.asset(
        key=key,
        group_name=f"raw_{entity.source}",
        kinds={"parquet", "python"},
        description=f"{entity.source} export {' / '.join(entity.files)} landed in the raw lake, "
        "one Parquet file per delivery.",
        check_specs=[
            dg.AssetCheckSpec(
                name=CHECK_NAME,
                asset=key,
                blocking=True,
                description="Great Expectations suite from the input contract on every new delivery: "
                "columns, ids unique and not null, domains, ranges, dates parseable and plausible.",
            ),
            dg.AssetCheckSpec(
                name=DRIFT_CHECK,
                asset=key,
                description="Warns (never blocks) when a new delivery has columns the one before it had not, or "
                "lacks some it had (beyond the contract's, whose absence blocks): new columns are kept in the lake.",
            ),
            dg.AssetCheckSpec(
                name=QUARANTINE_CHECK,
                asset=key,
                description="Warns (never blocks) when rows of a new delivery were set aside in the quarantine "
                "(only inputs the quarantine setting names; never an input commissions are computed from).",
            ),
        ],
    )
    def raw_entity(context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock):
        settings = settings.value
        quarantine = entity.key in settings.quarantine
        try:
            outcome = ingest_entity(
                entity,
                settings.exports_dir,
                settings.lake_dir,
                settings.stage_names,
                quarantine=quarantine,
                run_id=context.run.run_id,
            )
        except ExportError as error:
            raise dg.Failure(description=str(error)) from error
        write_validations(settings.runs_dir / context.run.run_id / "validations", entity, outcome.validations)
        check = _check_result(outcome)
        yield check
        yield _quarantine_check(outcome, quarantine)
        yield _drift_check(outcome)
        if not check.passed:
            summary = "; ".join(
                f"{validation.file}: " + "; ".join(failure.describe() for failure in validation.failures)
                for validation in outcome.validations
                if validation.failures
            )
            raise dg.Failure(
                description=f"{entity.key}: the quality gate failed, nothing was loaded. {summary}. "
                "Correct the export (or the stage map setting) and run again.",
            )
        context.log.info(
            f"{entity.key}: {len(outcome.landed)} new deliveries landed, {len(outcome.unchanged)} already loaded"
        )
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "deliveries_landed": [batch.file.delivery for batch in outcome.batches],
                "deliveries_already_loaded": len(outcome.unchanged),
                "rows_landed": outcome.rows_landed,
                "rows_quarantined": outcome.records_quarantined,
                "lake_path": dg.MetadataValue.path(str(settings.lake_dir / "raw" / entity.source / entity.name)),
            },
        )

    return raw_entity


def raw_assets() -> list[dg.AssetsDefinition]:
    return [build_raw_asset(entity) for entity in ENTITIES]


def build_comp_plans_asset() -> dg.AssetsDefinition:
    """comp_plans.yaml lands as four tables; a file that breaks the plan rules lands nothing and blocks."""
    keys = [dg.AssetKey(["raw", "planning", name]) for name in COMP_PLAN_TABLES]

    @dg.multi_asset(
        name="raw_planning_comp_plans",
        specs=[
            dg.AssetSpec(
                key,
                group_name="raw_planning",
                kinds={"parquet", "python"},
                description=f"planning/<delivery>/comp_plans.yaml: the {key.path[-1]} table "
                "(a later file replaces the earlier one whole).",
            )
            for key in keys
        ],
        check_specs=[
            dg.AssetCheckSpec(
                COMP_PLANS_CHECK,
                asset=keys[0],
                blocking=True,
                description="comp_plans.yaml follows the rules of commissions.md: known plans, "
                "bands without overlap or gap, no negative rate, no overlapping assignments.",
            )
        ],
    )
    def raw_comp_plans(context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock):
        settings = settings.value
        try:
            outcome = ingest_comp_plans(settings.exports_dir, settings.lake_dir)
        except ExportError as error:
            yield dg.AssetCheckResult(
                check_name=COMP_PLANS_CHECK,
                asset_key=keys[0],
                passed=False,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"error": str(error)},
            )
            raise dg.Failure(description=str(error)) from error
        yield dg.AssetCheckResult(
            check_name=COMP_PLANS_CHECK,
            asset_key=keys[0],
            passed=True,
            metadata={"deliveries_landed": sorted(outcome.landed), "deliveries_already_loaded": len(outcome.unchanged)},
        )
        for key in keys:
            metadata = {"rows_landed": sum(rows[key.path[-1]] for rows in outcome.landed.values())}
            if key == keys[0]:  # the file's deliveries, once (the run log counts them)
                metadata["deliveries_landed"] = sorted(outcome.landed)
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)

    return raw_comp_plans


@dg.asset_check(
    asset=raw_asset_key(entity("planning.quota")),
    name=QUOTA_PEOPLE_CHECK,
    additional_deps=[raw_asset_key(entity("hr.employee"))],
    blocking=True,
    description="Every current quota row names a person of the HR export (Employee #).",
)
def quota_holders_known(settings: SettingsResource) -> dg.AssetCheckResult:
    unknown = quotas_for_unknown_people(settings.value.lake_dir)
    return dg.AssetCheckResult(
        passed=not unknown,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "unknown_people": len(unknown),
            "rows": dg.MetadataValue.md("\n".join(f"- {person.describe()}" for person in unknown[:20]) or "none"),
        },
        description=(
            "quota for an unknown person: "
            + "; ".join(person.describe() for person in unknown[:5])
            + ". Add the person to the HR export or deliver corrected quotas in a new delivery."
        )
        if unknown
        else None,
    )


@dg.asset_check(
    asset=raw_asset_key(entity("hr.employee")),
    name=HR_PEOPLE_CHECK,
    blocking=True,
    description="HR's current records: no loop in Supervisor EID, and no work email on two active people "
    "(reports are scoped by the reporting line and emailed to the work email).",
)
def hr_people_distinct(settings: SettingsResource) -> dg.AssetCheckResult:
    problems = hr_people_problems(settings.value.lake_dir)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "problems": len(problems),
            "details": dg.MetadataValue.md("\n".join(f"- {problem.describe()}" for problem in problems) or "none"),
        },
        description="; ".join(problem.describe() for problem in problems[:5])
        + ". Correct the HR export and deliver it again in a new delivery folder."
        if problems
        else None,
    )


@dg.asset_check(
    asset=raw_asset_key(entity("crm.opportunity")),
    name=CRM_REFERENCES_CHECK,
    additional_deps=[raw_asset_key(entity(key)) for key in ("crm.account", "crm.user", "crm.opportunity_split")],
    blocking=False,
    description="Warns (never blocks) with counts: opportunities whose account or owner no export has, splits "
    "of an unknown opportunity, deals closing before they were created.",
)
def crm_references_resolve(settings: SettingsResource) -> dg.AssetCheckResult:
    found = suspicious_crm_records(settings.value.lake_dir)
    return dg.AssetCheckResult(
        passed=not found,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={finding.what: finding.count for finding in found} or {"suspicious_records": 0},
        description="; ".join(finding.describe() for finding in found) or None,
    )
