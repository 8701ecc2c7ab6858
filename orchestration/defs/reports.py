"""The report pack (after every publication) and its email delivery (optional)."""

import dagster as dg

from orchestration.defs.publish import PUBLISHED_KEY
from orchestration.resources import DataDirLock, SettingsResource
from publishing.reports import PackSettings, build_report_pack
from publishing.reports.delivery import deliver_reports, describe
from publishing.reports.pack import current_pack_directory
from salesops.settings import Settings

REPORT_PACK_KEY = dg.AssetKey(["published", "report_pack"])
REPORT_EMAILS_KEY = dg.AssetKey(["published", "report_emails"])


def pack_settings(settings: Settings) -> PackSettings:
    return PackSettings(
        fiscal_year_start_month=settings.fiscal_year_start_month,
        stale_deal_days=settings.operations.stale_deal_days,
        head_of_sales=settings.operations.head_of_sales,
        workers=settings.operations.report_workers,
    )


def run_checks_status(instance: dg.DagsterInstance, run_id: str) -> dict:
    """The checks evaluated so far in this run, for the reports' footer."""
    evaluations = [
        record.event_log_entry.dagster_event.event_specific_data
        for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    ]
    failed = sorted(
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        for evaluation in evaluations
        if not evaluation.passed
    )
    return {"passed": len(evaluations) - len(failed), "failed": len(failed), "failed_names": failed}


def build_report_pack_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_PACK_KEY,
        deps=[PUBLISHED_KEY],
        group_name="published",
        kinds={"html", "pdf"},
        description="Managers' reports, reps' commission statements and the company report, as HTML and PDF "
        "under <data dir>/reports/<as-of date>/, read from the published salesops.duckdb only. "
        "A re-run renders only the reports whose figures changed.",
    )
    def report_pack(
        context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock
    ) -> dg.MaterializeResult:
        settings = settings.value
        checks = run_checks_status(context.instance, context.run.run_id)
        pack = build_report_pack(settings.published_database, settings.reports_dir, pack_settings(settings), checks)
        context.log.info(f"{len(pack.reports)} reports in {pack.directory}, {pack.rendered} rendered by this run")
        if pack.company_recipient is None:
            context.log.warning("The company report has no recipient: set SALESOPS_HEAD_OF_SALES.")
        return dg.MaterializeResult(
            metadata={
                "index": dg.MetadataValue.path(str(pack.index)),
                "reports": len(pack.reports),
                "rendered": pack.rendered,
                "unchanged": len(pack.reports) - pack.rendered,
            }
        )

    return report_pack


def build_report_emails_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT_EMAILS_KEY,
        deps=[REPORT_PACK_KEY],
        group_name="published",
        kinds={"email"},
        description="Each recipient's reports emailed (SMTP settings SALESOPS_SMTP_*), each report once: "
        "the delivery log under <data dir>/reports/ remembers what was sent. Runs in the pipeline only "
        "with SALESOPS_EMAIL_REPORTS=true; `salesops send-reports` does the same by hand.",
    )
    def report_emails(
        context: dg.AssetExecutionContext, settings: SettingsResource, data_dir_lock: DataDirLock
    ) -> dg.MaterializeResult:
        settings = settings.value
        pack = current_pack_directory(settings.published_database, settings.reports_dir)
        outcome = deliver_reports(pack, settings.lake_dir, settings.smtp)
        for line in describe(outcome, dry_run=False):
            context.log.info(line)
        if outcome.refused:
            # Failing the step sends the failure alert; the messages that went out are logged and not re-sent.
            raise dg.Failure(
                f"The SMTP server refused {len(outcome.refused)} report email(s): "
                + "; ".join(f"{r.name} <{r.email}>: {r.refused}" for r in outcome.refused),
                metadata={"messages_sent": outcome.sent_messages},
            )
        return dg.MaterializeResult(
            metadata={
                "as_of": outcome.as_of,
                "messages_sent": outcome.sent_messages,
                "reports_already_sent": outcome.already_sent,
                "recipients_skipped": sum(1 for recipient in outcome.recipients if recipient.skip_reason),
            }
        )

    return report_emails
