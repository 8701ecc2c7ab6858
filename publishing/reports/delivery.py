"""Email the report pack: one message per recipient, their PDFs attached, each report sent once.

Recipients are the people the pack names (manager, statement, company report);
their work email comes from HR's latest delivery in the raw lake, because
emails never reach the published marts (inputs.md). A delivery log
(``<reports dir>/delivery_log.sqlite``) records who got which report and when;
a report already logged for the same figures is never sent again.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from ingestion.lake import RawLake
from publishing.mail import MESSAGE_REFUSED, Attachment, compose, connection
from publishing.reports.formats import money, percent, ratio
from publishing.reports.pack import MANIFEST
from publishing.reports.render import REPORT_TITLES, environment
from salesops.settings import SmtpSettings

DELIVERY_LOG = "delivery_log.sqlite"


@dataclass
class Recipient:
    employee_number: str
    name: str
    email: str | None
    skip_reason: str | None = None
    reports: list[dict] = field(default_factory=list)
    refused: str | None = None


@dataclass
class DeliveryOutcome:
    as_of: str
    recipients: list[Recipient]
    already_sent: int
    sent_messages: int = 0

    @property
    def refused(self) -> list[Recipient]:
        return [recipient for recipient in self.recipients if recipient.refused]

    @property
    def to_send(self) -> list[Recipient]:
        return [recipient for recipient in self.recipients if recipient.skip_reason is None and recipient.reports]


def latest_pack(reports_dir: Path, as_of: str | None = None) -> Path:
    """The pack folder of ``as_of`` (an ISO date), or the newest one."""
    packs = sorted(path.parent for path in reports_dir.glob(f"*/{MANIFEST}"))
    if as_of:
        packs = [path for path in packs if path.name == as_of]
    if not packs:
        wanted = f"as of {as_of} " if as_of else ""
        raise FileNotFoundError(
            f"{reports_dir}: no report pack {wanted}(a folder with {MANIFEST}); run `salesops run` first."
        )
    return packs[-1]


def work_emails(lake_dir: Path) -> dict[str, tuple[str | None, bool]]:
    """Employee # → (work email, still employed), from the latest HR delivery of each person."""
    files = RawLake(lake_dir).delivered_files("hr", "employee")
    if not files:
        return {}
    with duckdb.connect() as connection:
        rows = connection.execute(
            """
            select "Employee #", "Work Email", "Employment Status", "Termination Date"
            from read_parquet(?, union_by_name = true)
            qualify row_number() over (partition by "Employee #" order by _delivery desc, _line_number desc) = 1
            """,
            [[str(path) for path in files]],
        ).fetchall()
    today = dt.date.today()
    return {
        str(number): (email or None, status != "Terminated" and (ended is None or ended > today))
        for number, email, status, ended in rows
    }


class DeliveryLog:
    """Who got which report, when: one row per report and recipient sent."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path)
        self.connection.execute(
            "create table if not exists delivery_log ("
            " as_of_date text not null, report_key text not null, figures_hash text not null,"
            " employee_number text not null, email text not null, report_file text not null,"
            " message_id text not null, sent_at text not null,"
            " primary key (as_of_date, report_key, figures_hash, employee_number))"
        )

    @staticmethod
    def sent_from(path: Path, as_of: str) -> set[tuple[str, str, str]]:
        """(report, figures, person) already sent for ``as_of``; reading never creates the log."""
        if not path.exists():
            return set()
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
            return set(
                reader.execute(
                    "select report_key, figures_hash, employee_number from delivery_log where as_of_date = ?", [as_of]
                ).fetchall()
            )

    def record(self, as_of: str, recipient: Recipient, message_id: str) -> None:
        sent_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self.connection:
            self.connection.executemany(
                "insert or ignore into delivery_log values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        as_of,
                        report["key"],
                        report["figures_hash"],
                        recipient.employee_number,
                        recipient.email,
                        report["pdf"],
                        message_id,
                        sent_at,
                    )
                    for report in recipient.reports
                ],
            )

    def close(self) -> None:
        self.connection.close()


def plan_delivery(pack_dir: Path, lake_dir: Path) -> DeliveryOutcome:
    """Every recipient of the pack with the reports not yet sent to them."""
    manifest = json.loads((pack_dir / MANIFEST).read_text(encoding="utf-8"))
    as_of = manifest["as_of"]
    sent = DeliveryLog.sent_from(pack_dir.parent / DELIVERY_LOG, as_of)
    emails = work_emails(lake_dir)
    recipients: dict[str, Recipient] = {}
    already_sent = 0
    for report in manifest["reports"]:
        number = report["recipient_employee_number"]
        if number is None:
            continue
        if (report["key"], report["figures_hash"], number) in sent:
            already_sent += 1
            continue
        if number not in recipients:
            email, employed = emails.get(number, (None, False))
            reason = None
            if email is None:
                reason = "no work email in HR's latest delivery"
            elif not employed:
                reason = "no longer employed (HR)"
            recipients[number] = Recipient(number, report["recipient_name"], email, reason)
        recipients[number].reports.append(report)
    ordered = sorted(recipients.values(), key=lambda recipient: (recipient.name, recipient.employee_number))
    return DeliveryOutcome(as_of, ordered, already_sent)


def attachment_name(report: dict, as_of: str) -> str:
    """A file name that says what the PDF is (a manager's report and their statement share an employee #)."""
    title = REPORT_TITLES[report["kind"]].lower().replace(" ", "-")
    number = "" if report["kind"] == "company" else f"-{report['recipient_employee_number']}"
    return f"{title}{number}-{as_of}.pdf"


def _message(smtp: SmtpSettings, pack_dir: Path, as_of: str, recipient: Recipient):
    html = (
        environment()
        .get_template("email.html.j2")
        .render(
            recipient=recipient,
            as_of=as_of,
            titles=REPORT_TITLES,
            money=money,
            percent=percent,
            ratio=ratio,
            decimal=Decimal,
        )
    )
    names = [attachment_name(report, as_of) for report in recipient.reports]
    lines = [f"Hello {recipient.name},", "", f"Your salesops reports with data as of {as_of} are attached:"]
    named = list(zip(recipient.reports, names, strict=True))
    lines += [f"- {REPORT_TITLES[report['kind']]}: {name}" for report, name in named]
    return compose(
        smtp,
        to=recipient.email,
        subject=f"Your salesops reports as of {as_of}",
        text="\n".join(lines) + "\n",
        html=html,
        attachments=[Attachment(pack_dir / report["pdf"], name) for report, name in named],
    )


def deliver_reports(pack_dir: Path, lake_dir: Path, smtp: SmtpSettings, dry_run: bool = False) -> DeliveryOutcome:
    """Send each recipient their unsent reports over one connection; with ``dry_run``, only plan.

    Each message is logged as soon as the server accepts it. A message the server
    refuses (an unknown mailbox, say) is reported and the others still go out; a
    lost connection stops the delivery, and a re-run sends what is left.
    """
    outcome = plan_delivery(pack_dir, lake_dir)
    if dry_run or not outcome.to_send:
        return outcome
    log = DeliveryLog(pack_dir.parent / DELIVERY_LOG)
    try:
        with connection(smtp) as session:
            for recipient in outcome.to_send:
                message = _message(smtp, pack_dir, outcome.as_of, recipient)
                try:
                    session.send_message(message)
                except MESSAGE_REFUSED as error:
                    recipient.refused = str(error)
                    continue
                log.record(outcome.as_of, recipient, message["Message-ID"])
                outcome.sent_messages += 1
    finally:
        log.close()
    return outcome


def describe(outcome: DeliveryOutcome, dry_run: bool) -> list[str]:
    """Lines for the terminal: each recipient, their attachments, and what was skipped."""
    verb = "would send" if dry_run else "sent"
    lines = [
        f"reports as of {outcome.as_of}: {len(outcome.to_send)} recipient(s) to email, "
        f"{outcome.already_sent} report(s) already sent earlier"
    ]
    for recipient in outcome.recipients:
        if recipient.skip_reason:
            lines.append(f"  skip  {recipient.name} ({recipient.employee_number}): {recipient.skip_reason}")
        elif recipient.refused:
            lines.append(
                f"  REFUSED  {recipient.name} <{recipient.email}>: {recipient.refused} "
                "(not logged: a re-run tries again)"
            )
        else:
            attachments = ", ".join(attachment_name(report, outcome.as_of) for report in recipient.reports)
            lines.append(f"  {verb}  {recipient.name} <{recipient.email}>: {attachments}")
    return lines
