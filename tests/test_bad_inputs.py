"""The catalogue of bad inputs (docs/bad-inputs.md): each case, its fixture, its exact outcome.

Every case is first ingested on its own (the outcome and the message, fast). The
blocking cases of the opportunity export then go through `salesops run` on a
copy of the demo data dir: exit code 1, the message in the summary, nothing
landed, and the published database byte for byte as before.
"""

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl
import pytest

from ingestion.contracts import entity
from ingestion.ingest import ingest_entity
from ingestion.readers import ExportError
from ingestion.references import hr_people_problems, suspicious_crm_records
from salesops.settings import load_settings
from tests.conftest import OPPORTUNITY_HEADER, run_salesops

STAGES = load_settings({}).stage_names
NOW = dt.datetime(2026, 11, 27, 6, 0, 0)
DOCS = Path(__file__).resolve().parent.parent / "docs" / "bad-inputs.md"

OPPORTUNITY_FIELDS = OPPORTUNITY_HEADER.split(",")
HISTORY_HEADER = "Id,OpportunityId,StageName,Amount,Probability,ForecastCategory,CloseDate,CreatedDate,IsDeleted"


def opportunity(opportunity_id: str, **values: str) -> dict[str, str]:
    row = {
        "Id": opportunity_id,
        "Name": f"Deal {opportunity_id}",
        "AccountId": "001A",
        "OwnerId": "005A",
        "Type": "New Business",
        "LeadSource": "Web",
        "StageName": "Prospecting",
        "Amount": "1000.00",
        "Probability": "10",
        "ForecastCategoryName": "Pipeline",
        "CloseDate": "2026-12-15",
        "CreatedDate": "2026-10-01T09:00:00.000Z",
        "IsClosed": "false",
        "IsWon": "false",
        "LastModifiedDate": "2026-11-01T09:00:00.000Z",
        "IsDeleted": "false",
    }
    row.update(values)
    return row


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None, delimiter: str = ",") -> str:
    header = header or list(rows[0])
    out = io.StringIO()
    writer = csv.DictWriter(out, header, delimiter=delimiter, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def opportunities(*rows: dict[str, str]) -> bytes:
    return csv_text(list(rows), OPPORTUNITY_FIELDS).encode("utf-8")


def renamed(old: str, new: str) -> bytes:
    rows = [{(new if key == old else key): value for key, value in opportunity("006A").items()}]
    return csv_text(rows).encode("utf-8")


def without(column: str) -> bytes:
    return csv_text([opportunity("006A")], [name for name in OPPORTUNITY_FIELDS if name != column]).encode("utf-8")


def quotas_xlsx_with_a_title() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Quotas FY2027 (draft)"])
    sheet.append([])
    sheet.append(["employee_number", "period", "quota_amount"])
    sheet.append(["1001", "FY2027-Q1", 100000])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Case:
    """One bad (or surprising but legal) input and what salesops does with it."""

    id: str
    input_key: str
    deliveries: dict[str, bytes]
    """Delivery folder -> the file's bytes, delivered in this order (earlier ones are loaded first)."""
    outcome: str
    """"blocks", "lands" or "quarantines"."""
    message: str = ""
    """A regular expression the error must match (blocks)."""
    rows_landed: int | None = None
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantine: bool = False
    drift: str = ""
    """A regular expression the schema-drift warning must match (lands)."""


D1, D2, D3 = "2026-11-25", "2026-11-26", "2026-11-27"
GOOD = opportunities(opportunity("006A"), opportunity("006B"))
FILE = "crm/2026-11-25/Opportunity.csv"

CASES = [
    # File shape
    Case(
        "truncated_mid_row",
        "crm.opportunity",
        {D1: GOOD[: GOOD.rindex(b",Prospecting")]},
        "blocks",
        rf"^{FILE} line 3: 6 fields where the header has 16\. The file is ragged",
    ),
    Case(
        "truncated_inside_quotes",
        "crm.opportunity",
        {D1: GOOD + b'006C,"Deal 006C'},
        "blocks",
        rf"^{FILE} line 4: unreadable CSV \(unexpected end of data\)",
    ),
    Case(
        "empty_file", "crm.opportunity", {D1: b""}, "blocks", rf"^{FILE}: the file is empty; a header row is required"
    ),
    Case("header_only", "crm.opportunity", {D1: (OPPORTUNITY_HEADER + "\n").encode()}, "lands", rows_landed=0),
    Case(
        "semicolons",
        "crm.opportunity",
        {D1: csv_text([opportunity("006A")], OPPORTUNITY_FIELDS, delimiter=";").encode()},
        "blocks",
        rf"^{FILE} line 1: the header is one column, 'Id;Name;.*: the file is not comma separated",
    ),
    Case(
        "windows_1252",
        "crm.opportunity",
        {
            D1: opportunities(opportunity("006A"), opportunity("006B", Name="Société Générale")).replace(
                "é".encode(), b"\xe9"
            )
        },
        "blocks",
        rf"^{FILE} line 3: not valid UTF-8 \(byte 0xE9\); it reads as Windows-1252",
    ),
    Case(
        "bom_and_crlf",
        "crm.opportunity",
        {D1: b"\xef\xbb\xbf" + GOOD.replace(b"\n", b"\r\n")},
        "lands",
        rows_landed=2,
    ),
    Case(
        "header_renamed",
        "crm.opportunity",
        {D1: renamed("StageName", "Stage")},
        "blocks",
        rf"^{FILE}: required column 'StageName' missing .* The header has 'Stage', which the contract does not "
        "know: was a column renamed",
    ),
    Case("column_missing", "crm.opportunity", {D1: without("Amount")}, "blocks", rf"^{FILE}: required column 'Amount'"),
    Case(
        "extra_column",
        "crm.opportunity",
        {D1: csv_text([dict(opportunity("006A"), Region__c="EMEA")]).encode()},
        "lands",
        rows_landed=1,
    ),
    # Ids
    Case(
        "duplicate_ids",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A"), opportunity("006A", Amount="1200.00"))},
        "blocks",
        r"column 'Id' must be unique within a delivery: 2 row\(s\) \(line 2: '006A', line 3: '006A'\)",
    ),
    Case(
        "duplicate_ids_quarantined",
        "planning.marketing_spend",
        {D1: b"month,channel,amount\n2026-10,Web,100.00\n2026-10,Web,120.00\n2026-10,Events,50.00\n"},
        "quarantines",
        rows_landed=1,
        quarantined={"month, channel must be unique within a delivery": 2},
        quarantine=True,
    ),
    # Values
    Case(
        "negative_amount",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", Amount="-5.00"))},
        "blocks",
        r"column 'Amount' must be at least 0: 1 row\(s\) \(line 2: -5\.0\)",
    ),
    Case(
        "non_numeric_amount",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", Amount="12,5"))},
        "blocks",
        r"column 'Amount' must be a decimal number such as 48250\.00: 1 row\(s\) \(line 2: '12,5'\)",
    ),
    Case(
        "probability_above_100",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", Probability="140"))},
        "blocks",
        r"column 'Probability' must be between 0 and 100: 1 row\(s\) \(line 2: 140\.0\)",
    ),
    Case(
        "date_unparseable",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", CloseDate="next week"))},
        "blocks",
        r"column 'CloseDate' must be a date YYYY-MM-DD: 1 row\(s\) \(line 2: 'next week'\)",
    ),
    Case(
        "date_local_format",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", CloseDate="31/12/2026"))},
        "blocks",
        r"column 'CloseDate' must be a date YYYY-MM-DD: 1 row\(s\) \(line 2: '31/12/2026'\)",
    ),
    Case(
        "date_implausible",
        "crm.opportunity",
        {D1: opportunities(opportunity("006A", CloseDate="1900-01-01"))},
        "blocks",
        r"column 'CloseDate' must be between 1990-01-01 and 2036-11-25: 1 row\(s\) \(line 2: '1900-01-01",
    ),
    Case(
        "bad_values_quarantined",
        "crm.opportunity_history",
        {
            D1: (
                HISTORY_HEADER + "\n"
                "008A,006A,Prospecting,1000.00,10,Pipeline,2026-12-15,2026-10-01T09:00:00.000Z,false\n"
                "008B,006A,Prospecting,-5.00,10,Pipeline,2026-12-15,2026-10-01T09:00:00.000Z,false\n"
                "008C,006A,Prospecting,1000.00,10,Pipeline,31/12/2026,2026-10-01T09:00:00.000Z,false\n"
            ).encode()
        },
        "quarantines",
        rows_landed=1,
        quarantined={"Amount must be at least 0": 1, "CloseDate must be a date YYYY-MM-DD": 1},
        quarantine=True,
    ),
    # Planning
    Case(
        "xlsx_header_on_row_3",
        "planning.quota",
        {D1: quotas_xlsx_with_a_title()},
        "blocks",
        r"^planning/2026-11-25/quotas\.xlsx: the header is on row 3, not on the first\. Delete the rows above it",
    ),
    # Deliveries
    Case(
        "delivery_dated_29_february",
        "crm.opportunity",
        {"2028-02-29": opportunities(opportunity("006A", CloseDate="2038-02-28"))},
        "lands",
        rows_landed=1,
    ),
    Case(
        "delivery_older_than_one_loaded",
        "crm.opportunity",
        {D2: GOOD, D1: opportunities(opportunity("006A", Amount="900.00"))},
        "blocks",
        rf"^{FILE}: delivery '2026-11-25' of crm\.opportunity sorts before '2026-11-26', which is already loaded",
    ),
    Case(
        "old_delivery_sent_again",
        "crm.opportunity",
        {D1: GOOD, D2: opportunities(opportunity("006A", Amount="1500.00")), D3: GOOD},
        "blocks",
        r"^crm/2026-11-27/Opportunity\.csv: the same file as crm/2026-11-25/Opportunity\.csv .* an old export "
        "sent again would undo the later changes",
    ),
    Case("same_delivery_twice", "crm.opportunity", {D1: GOOD, D2: GOOD}, "lands", rows_landed=2),
    # Schema drift (beyond the contract's columns, which block when missing)
    Case(
        "new_column_in_a_later_delivery",
        "crm.opportunity",
        {D1: GOOD, D2: csv_text([dict(opportunity("006A"), Region__c="EMEA")]).encode()},
        "lands",
        rows_landed=1,
        drift=r"^crm/2026-11-26/Opportunity\.csv: new column\(s\) 'Region__c' \(kept in the lake\) "
        r"\(compared with crm/2026-11-25/Opportunity\.csv\)$",
    ),
    Case(
        "extra_column_renamed",
        "crm.opportunity",
        {
            D1: csv_text([dict(opportunity("006A"), Region__c="EMEA")]).encode(),
            D2: csv_text([dict(opportunity("006A"), Sales_Region__c="EMEA")]).encode(),
        },
        "lands",
        rows_landed=1,
        drift=r"new column\(s\) 'Sales_Region__c' .*; no longer has 'Region__c'; renamed 'Region__c' to "
        r"'Sales_Region__c'\?",
    ),
]


def file_name(case: Case) -> str:
    return "quotas.xlsx" if case.id == "xlsx_header_on_row_3" else entity(case.input_key).files[0]


def deliver(exports: Path, case: Case, delivery: str) -> Path:
    path = exports / case.input_key.split(".")[0] / delivery / file_name(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.deliveries[delivery])
    return path


def ingest(case: Case, exports: Path, lake: Path):
    return ingest_entity(entity(case.input_key), exports, lake, STAGES, NOW, quarantine=case.quarantine)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_bad_input_has_its_exact_outcome(case, tmp_path):
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    *earlier, last = case.deliveries
    for delivery in earlier:
        deliver(exports, case, delivery)
        assert ingest(case, exports, lake).passed
    deliver(exports, case, last)
    source, name = case.input_key.split(".")
    landed_before = sorted(path.name for path in (lake / "raw" / source / name).glob("delivery=*"))

    if case.outcome == "blocks":
        try:
            outcome = ingest(case, exports, lake)
        except ExportError as error:
            message = str(error)
        else:
            assert not outcome.passed
            message = "; ".join(f.describe() for v in outcome.validations for f in v.failures)
        assert re.search(case.message, message), message
        assert sorted(path.name for path in (lake / "raw" / source / name).glob("delivery=*")) == landed_before
        return

    outcome = ingest(case, exports, lake)
    assert outcome.passed
    assert outcome.rows_landed == case.rows_landed
    assert outcome.rows_quarantined == case.quarantined
    drift = "; ".join(drift.describe() for drift in outcome.drift)
    assert re.search(case.drift, drift) if case.drift else drift == "", drift
    if case.id == "extra_column":
        glob = f"{lake}/raw/crm/opportunity/delivery=*/*.parquet"
        with duckdb.connect() as con:
            assert con.execute(f"select Region__c from read_parquet('{glob}')").fetchall() == [("EMEA",)]


def test_the_docs_list_every_case():
    table = DOCS.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.MULTILINE))
    hr_cases = {"hr_hierarchy_cycle", "hr_two_active_people_one_email", "hr_email_reused_after_a_leaver"}
    assert {case.id for case in CASES} | hr_cases <= listed


# End to end: blocking cases through `salesops run` on a copy of the demo data dir (its deliveries are
# 2026-11-25 and 2026-11-26): exit code 1, the message, the publication byte for byte as it was.
@dataclass(frozen=True)
class RunCase:
    id: str
    path: str
    content: Callable[[Path], bytes]
    """The delivered file's bytes, given the demo's exports folder."""
    message: str
    lands: bool = False
    """Whether the delivery lands before its check blocks (checks across inputs run on the lake)."""


def _hierarchy_loop(exports: Path) -> bytes:
    with open(exports / "hr" / D2 / "employees.csv", encoding="utf-8-sig", newline="") as handle:
        first, second = list(csv.DictReader(handle))[:2]
    first["Supervisor EID"], second["Supervisor EID"] = second["Employee #"], first["Employee #"]
    return csv_text([first, second]).encode("utf-8")


RUN_CASES = [
    *(
        RunCase(
            case.id,
            "crm/2026-11-28/Opportunity.csv",
            lambda _, case=case: next(iter(case.deliveries.values())),
            # The case's message with this delivery's date (in the file's path and the plausible-date horizon).
            case.message.lstrip("^").replace("11-25", "11-28"),
        )
        for case in CASES
        if case.outcome == "blocks" and case.input_key == "crm.opportunity" and len(case.deliveries) == 1
    ),
    RunCase(
        "delivery_older_than_one_loaded",
        "crm/2026-11-20/Opportunity.csv",
        lambda _: GOOD,
        r"crm/2026-11-20/Opportunity\.csv: delivery '2026-11-20' of crm\.opportunity sorts before '2026-11-26'",
    ),
    RunCase(
        "old_delivery_sent_again",
        "crm/2026-11-28/Opportunity.csv",
        lambda exports: (exports / "crm" / D1 / "Opportunity.csv").read_bytes(),
        r"crm/2026-11-28/Opportunity\.csv: the same file as crm/2026-11-25/Opportunity\.csv",
    ),
    RunCase(
        "xlsx_header_on_row_3",
        "planning/2026-11-28/quotas.xlsx",
        lambda _: quotas_xlsx_with_a_title(),
        r"planning/2026-11-28/quotas\.xlsx: the header is on row 3",
    ),
    # Last: its delivery lands (the check runs on the lake), and it blocks every run until corrected.
    RunCase(
        "hr_hierarchy_cycle",
        "hr/2026-11-28/employees.csv",
        _hierarchy_loop,
        r"hr_people_distinct: Supervisor EID loop: .*hr/2026-11-28/employees\.csv line 2",
        lands=True,
    ),
]


@pytest.fixture(scope="module")
def published_copy(pipeline, tmp_path_factory):
    exports, data_dir = pipeline
    root = tmp_path_factory.mktemp("bad-inputs")
    shutil.copytree(exports, root / "exports")
    shutil.copytree(data_dir, root / "data", symlinks=True)
    return root / "exports", root / "data"


@pytest.mark.parametrize("case", RUN_CASES, ids=lambda case: case.id)
def test_a_blocking_input_fails_the_run_and_leaves_the_publication_byte_identical(case, published_copy, capsys):
    exports, data_dir = published_copy
    published = data_dir / "warehouse" / "salesops.duckdb"
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    path = exports / case.path
    content = case.content(exports)
    path.parent.mkdir()
    path.write_bytes(content)
    try:
        code, output = run_salesops(exports, data_dir, capsys)
    finally:
        shutil.rmtree(path.parent)
    assert code == 1
    assert re.search(case.message, output), output
    assert "nothing was published" in output
    assert hashlib.sha256(published.read_bytes()).hexdigest() == digest
    source, delivery = path.relative_to(exports).parts[:2]
    landed = list((data_dir / "lake" / "raw" / source).glob(f"*/delivery={delivery}"))
    assert bool(landed) == case.lands


def test_a_quarantined_row_is_published_with_its_line_and_the_run_warns(pipeline, tmp_path, capsys):
    exports, data_dir = pipeline
    shutil.copytree(exports, tmp_path / "exports")
    shutil.copytree(data_dir, tmp_path / "data", symlinks=True)
    exports, data_dir = tmp_path / "exports", tmp_path / "data"
    last = sorted((exports / "crm").iterdir())[-1] / "OpportunityHistory.csv"
    with open(last, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        bad = dict(next(reader), Id="008QUARANTINE1", Amount="-250.00")
        header = list(reader.fieldnames)
    path = exports / "crm" / "2026-11-28" / "OpportunityHistory.csv"
    path.parent.mkdir()
    path.write_text(csv_text([bad], header), encoding="utf-8")

    code, output = run_salesops(exports, data_dir, capsys)

    assert code == 0, output
    assert (
        "warning: raw/crm/opportunity_history no_rows_quarantined: 1 row(s) set aside in the quarantine "
        "(Amount must be at least 0: 1)" in output
    )
    with duckdb.connect(str(data_dir / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select table_name, delivery_id, file_path, line_number, record_id, rule, value "
            "from marts.rpt_quarantined_rows"
        ).fetchall()
    assert rows == [
        (
            "opportunity_history",
            "2026-11-28",
            "crm/2026-11-28/OpportunityHistory.csv",
            2,
            "008QUARANTINE1",
            "Amount must be at least 0",
            "-250.00",
        )
    ]


EMPLOYEE_FIELDS = [column.name for column in entity("hr.employee").columns]


def employee(number: str, supervisor: str, email: str, status: str = "Full-Time", terminated: str = "") -> dict:
    return dict.fromkeys(EMPLOYEE_FIELDS, "") | {
        "Employee #": number,
        "First Name": f"Person {number}",
        "Last Name": "Test",
        "Work Email": email,
        "Supervisor EID": supervisor,
        "Hire Date": "2025-01-06",
        "Termination Date": terminated,
        "Employment Status": status,
        "Pay Rate": "90,000.00 USD",
        "Pay Per": "Year",
    }


@pytest.mark.parametrize(
    ("case", "people", "expected"),
    [
        (
            "hr_hierarchy_cycle",
            [employee("1", "", "a@x.test"), employee("2", "3", "b@x.test"), employee("3", "2", "c@x.test")],
            ["Supervisor EID loop: 2 → 3 → 2 (hr/2026-11-25/employees.csv line 3; hr/2026-11-25/employees.csv line 4)"],
        ),
        (
            "hr_two_active_people_one_email",
            [employee("1", "", "a@x.test"), employee("2", "1", "B@x.test"), employee("3", "1", " b@x.test")],
            [
                "one work email on several active people: 'b@x.test' on 2 (hr/2026-11-25/employees.csv line 3), "
                "3 (hr/2026-11-25/employees.csv line 4)"
            ],
        ),
        (
            "hr_email_reused_after_a_leaver",
            [
                employee("1", "", "a@x.test"),
                employee("2", "1", "b@x.test", "Terminated", "2026-06-30"),
                employee("3", "1", "b@x.test"),
            ],
            [],
        ),
    ],
)
def test_hr_people_problems_block_with_the_people_and_lines(case, people, expected, tmp_path):
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    path = exports / "hr" / D1 / "employees.csv"
    path.parent.mkdir(parents=True)
    path.write_text(csv_text(people, EMPLOYEE_FIELDS), encoding="utf-8")
    assert ingest_entity(entity("hr.employee"), exports, lake, STAGES, NOW).passed
    assert [problem.describe() for problem in hr_people_problems(lake)] == expected


def test_crm_references_that_lead_nowhere_warn_with_counts_and_lines(tmp_path):
    exports, lake = tmp_path / "exports", tmp_path / "lake"
    crm = exports / "crm" / D1
    crm.mkdir(parents=True)
    (crm / "Opportunity.csv").write_bytes(
        opportunities(
            opportunity("006A"),  # line 2: fine
            opportunity("006B", AccountId="001Z"),  # line 3: unknown account
            opportunity("006C", OwnerId="005Z"),  # line 4: unknown owner
            opportunity("006D", CloseDate="2026-09-01"),  # line 5: closes before its creation on 2026-10-01
        )
    )
    (crm / "Account.csv").write_text(
        "Id,Name,Type,Industry,BillingCountry,NumberOfEmployees,AnnualRevenue,OwnerId,CreatedDate,IsDeleted\n"
        "001A,Acme,Customer,Retail,US,10,1000,005A,2025-01-01T00:00:00.000Z,false\n",
        encoding="utf-8",
    )
    (crm / "User.csv").write_text(
        "Id,Name,Email,IsActive,ManagerId,UserRoleId,EmployeeNumber,Title,CreatedDate\n"
        "005A,Ada Rep,ada@x.test,true,,,1,AE,2025-01-01T00:00:00.000Z\n",
        encoding="utf-8",
    )
    (crm / "OpportunitySplit.csv").write_text(
        "Id,OpportunityId,SplitOwnerId,SplitPercentage,IsDeleted\n04XA,006A,005A,100,false\n04XB,006Q,005A,100,false\n",
        encoding="utf-8",
    )
    for key in ("crm.opportunity", "crm.account", "crm.user", "crm.opportunity_split"):
        assert ingest_entity(entity(key), exports, lake, STAGES, NOW).passed

    file = "crm/2026-11-25/Opportunity.csv"
    assert [finding.describe() for finding in suspicious_crm_records(lake)] == [
        f"1 opportunities name an account that no Account export has (e.g. {file} line 3: '001Z')",
        f"1 opportunities are owned by a user that no User export has (credited to no one) (e.g. {file} line 4: "
        "'005Z')",
        "1 opportunity splits point at an opportunity that no Opportunity export has "
        "(e.g. crm/2026-11-25/OpportunitySplit.csv line 3: '006Q')",
        f"1 opportunities close before they were created (e.g. {file} line 5: '2026-09-01 < 2026-10-01')",
    ]
