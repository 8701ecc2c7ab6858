"""`salesops send-reports`: one email per recipient to their HR work email, PDFs attached, each report once.

A local SMTP server (aiosmtpd on 127.0.0.1) receives the messages. Expected
recipients and figures come from the HR export and the published marts.
"""

import shutil
from decimal import Decimal

import pypdfium2
import pytest

from orchestration.cli import main
from publishing.reports import PackSettings, build_report_pack
from tests.conftest import as_of_date, employees, free_port, published


@pytest.fixture
def smtp(inbox, monkeypatch):
    monkeypatch.setenv("SALESOPS_MAIL_FROM", "salesops@northwind-demo.com")
    return inbox


@pytest.fixture
def delivery_dir(pipeline, tmp_path, monkeypatch):
    """A data dir holding a copy of the demo run's reports and its raw lake (the delivery log is written here)."""
    exports, data_dir = pipeline
    target = tmp_path / "data"
    shutil.copytree(data_dir / "reports", target / "reports")
    (target / "lake").symlink_to(data_dir / "lake")
    monkeypatch.setenv("SALESOPS_DATA_DIR", str(target))
    return exports, data_dir, target


def expected_recipients(exports, data_dir) -> dict[str, set[str]]:
    """Work email → the PDFs they should get: managers, statement holders, and the head of sales."""
    people = employees(exports)
    as_of = as_of_date(exports)
    sales = {number for number, row in people.items() if row["Department"] == "Sales"}
    managers = {row["Supervisor EID"] for number, row in people.items() if number in sales and row["Supervisor EID"]}
    heads = [number for number in sales if not people[number]["Supervisor EID"]]
    assert len(heads) == 1
    statements = published(
        data_dir,
        f"""
        select employee_number, max(period_end) filter (where period_end < date '{as_of}'),
            bool_or(date '{as_of}' between period_start and period_end)
        from marts.fct_commission_statements where period_start <= date '{as_of}' group by 1""",
    )
    expected: dict[str, set[str]] = {}

    def add(number: str, pdf: str) -> None:
        row = people[number]
        if row["Employment Status"] != "Terminated":
            expected.setdefault(row["Work Email"], set()).add(pdf)

    for number in managers:
        add(number, f"manager-report-{number}-{as_of}.pdf")
    for number, _last_closed, _current in statements:
        add(number, f"commission-statement-{number}-{as_of}.pdf")
    add(heads[0], f"company-report-{as_of}.pdf")
    return expected


def first_page_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_send_reports_mails_each_recipient_their_pdfs_once(delivery_dir, smtp, capsys):
    exports, data_dir, _ = delivery_dir
    expected = expected_recipients(exports, data_dir)
    assert len(expected) >= 5

    assert main(["send-reports"]) == 0
    out = capsys.readouterr().out
    received = {tuple(to): message for to, message in smtp.messages}
    assert sorted(to[0] for to in received) == sorted(expected)
    assert len(smtp.messages) == len(expected)  # one message per recipient
    people = employees(exports)
    by_email = {row["Work Email"]: number for number, row in people.items()}
    as_of = as_of_date(exports)
    for (address,), message in received.items():
        assert message["To"] == address
        assert message["Subject"] == f"Your salesops reports as of {as_of}"
        attachments = [(part.get_filename(), part) for part in message.iter_attachments()]
        assert sorted(filename for filename, _ in attachments) == sorted(expected[address])
        number = by_email[address]
        name = f"{people[number]['First Name']} {people[number]['Last Name']}"
        for _filename, part in attachments:
            pdf = part.get_content()
            assert part.get_content_type() == "application/pdf" and pdf.startswith(b"%PDF")
            assert f"{name} ({number})" in first_page_text(pdf)  # the running header names the recipient
        body = message.get_body(("html",)).get_content()
        assert f"Hello {name}" in body
        current = published(
            data_dir,
            f"""
            select payout from marts.fct_commission_statements
            where employee_number = '{number}' and date '{as_of}' between period_start and period_end
            order by plan_id limit 1""",
        )
        if current:
            assert f"{Decimal(current[0][0]):,.2f}" in body  # the headline payout
    assert f"{len(expected)} message(s) sent" in out

    smtp.messages.clear()
    assert main(["send-reports"]) == 0
    again = capsys.readouterr().out
    assert smtp.messages == []  # every report is in the delivery log: nothing is sent twice
    assert "0 recipient(s) to email" in again


def test_dry_run_lists_recipients_and_sends_nothing(delivery_dir, smtp, capsys):
    exports, data_dir, _ = delivery_dir
    expected = expected_recipients(exports, data_dir)
    assert main(["send-reports", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert smtp.messages == []
    assert not (delivery_dir[2] / "reports" / "delivery_log.sqlite").exists()
    for address, pdfs in expected.items():
        line = next(line for line in out.splitlines() if f"<{address}>" in line)
        assert line.lstrip().startswith("would send")
        assert all(pdf in line for pdf in pdfs)
    # Nothing was logged: a real send afterwards still sends everything.
    assert main(["send-reports"]) == 0
    assert len(smtp.messages) == len(expected)


def test_a_refused_mailbox_does_not_stop_the_others_and_is_tried_again(delivery_dir, smtp, capsys):
    exports, data_dir, _ = delivery_dir
    expected = expected_recipients(exports, data_dir)
    refused = sorted(expected)[0]
    smtp.refused = {refused}
    assert main(["send-reports"]) == 1
    out = capsys.readouterr().out
    assert sorted(to[0] for to, _ in smtp.messages) == sorted(set(expected) - {refused})
    assert f"<{refused}>" in out and "REFUSED" in out and "refused 1 message(s)" in out

    smtp.messages.clear()
    smtp.refused = set()
    assert main(["send-reports"]) == 0  # only what is left goes out
    assert [to for to, _ in smtp.messages] == [[refused]]


def test_re_rendered_reports_with_the_same_figures_are_not_sent_again(delivery_dir, smtp, capsys):
    """A new layout or another check result in the footer renders every report again, but sends nothing."""
    _, data_dir, target = delivery_dir
    assert main(["send-reports"]) == 0
    sent = len(smtp.messages)
    assert sent >= 5
    settings = PackSettings(fiscal_year_start_month=1, stale_deal_days=30, workers=1)
    pack = build_report_pack(
        data_dir / "warehouse" / "salesops.duckdb",
        target / "reports",
        settings,
        checks={"passed": 1, "failed": 1, "failed_names": ["raw/crm/opportunity:source_fresh"]},
    )
    assert pack.rendered == len(pack.reports)
    assert main(["send-reports"]) == 0
    assert len(smtp.messages) == sent
    assert "0 recipient(s) to email" in capsys.readouterr().out


def test_an_unreachable_smtp_server_fails_with_a_clear_message(delivery_dir, monkeypatch, capsys):
    monkeypatch.setenv("SALESOPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SALESOPS_SMTP_PORT", str(free_port()))  # nothing listens there
    assert main(["send-reports"]) == 1
    out = capsys.readouterr().out
    assert "sending through 127.0.0.1" in out and "SALESOPS_SMTP_HOST" in out


def test_no_report_pack_yet_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SALESOPS_DATA_DIR", str(tmp_path))
    assert main(["send-reports", "--dry-run"]) == 2
    assert "run `salesops run` first" in capsys.readouterr().out


def test_people_who_left_get_no_email_and_the_dry_run_says_so(delivery_dir, capsys):
    exports, data_dir, _ = delivery_dir
    people = employees(exports)
    as_of = as_of_date(exports)
    holders = {
        row[0]
        for row in published(
            data_dir,
            f"""
        select distinct employee_number from marts.fct_commission_statements where period_start <= date '{as_of}'""",
        )
    }
    left = {number for number, row in people.items() if row["Employment Status"] == "Terminated"} & holders
    assert left
    assert main(["send-reports", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for number in left:
        name = f"{people[number]['First Name']} {people[number]['Last Name']}"
        assert f"skip  {name} ({number}): no longer employed (HR)" in out
        assert people[number]["Work Email"] not in out
