"""Reading exports: BOM, RFC 4180 quoting, types, XLSX, header errors, parse problems."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from ingestion.contracts import entity
from ingestion.readers import ExportError, ExportFile, read_export
from tests.conftest import OPPORTUNITY_HEADER, write

LOADED_AT = dt.datetime(2026, 11, 27, 6, 0, 0)


def export(path, root):
    return ExportFile(path.relative_to(root).parts[0], path.parent.name, path, path.relative_to(root).as_posix())


def test_salesforce_csv_with_bom_quoted_newlines_and_custom_fields(tmp_path):
    path = write(
        tmp_path / "crm" / "2026-11-26" / "Opportunity.csv",
        OPPORTUNITY_HEADER + ",Region__c\r\n"
        '006A,"Acme, Inc. — ""Phase 2""\nRenewal",001A,005A,New Business,Web,Closed Won,48250.00,100,Closed,'
        "2026-03-31,2026-01-05T14:03:22.000Z,true,true,2026-03-31T10:00:00.000Z,false,EMEA\r\n"
        "006B,Beta,001B,005A,Renewal,,Prospecting,,10,Pipeline,2026-06-30,2026-02-01T00:00:00.000Z,"
        "false,false,2026-02-01T00:00:00.000Z,false,\r\n",
        bom=True,
    )
    batch = read_export(export(path, tmp_path), entity("crm.opportunity"), LOADED_AT)
    rows = batch.table.to_pylist()
    assert batch.parse_problems == []
    assert [row["Id"] for row in rows] == ["006A", "006B"]  # the BOM is not part of the first column name
    assert rows[0]["Name"] == 'Acme, Inc. — "Phase 2"\nRenewal'
    assert rows[0]["Amount"] == Decimal("48250.00") and rows[1]["Amount"] is None
    assert rows[0]["CreatedDate"] == dt.datetime(2026, 1, 5, 14, 3, 22)
    assert rows[0]["CloseDate"] == dt.date(2026, 3, 31)
    assert rows[0]["IsWon"] is True and rows[1]["IsClosed"] is False
    assert rows[0]["Region__c"] == "EMEA" and rows[1]["Region__c"] is None  # unknown columns kept
    # Lineage: the second record starts on line 4 because the first spans lines 2-3.
    assert [row["_line_number"] for row in rows] == [2, 4]
    assert rows[0]["_delivery"] == "2026-11-26"
    assert rows[0]["_file"] == "crm/2026-11-26/Opportunity.csv"
    assert len(rows[0]["_content_hash"]) == 64


def test_stripe_cents_and_epoch_seconds(tmp_path):
    path = write(
        tmp_path / "billing" / "d1" / "subscription_items.csv",
        "id,subscription,price.id,price.unit_amount,price.currency,price.recurring.interval,"
        "price.recurring.interval_count,quantity,created\n"
        "si_1,sub_1,price_1,129900,usd,year,1,3,1767225600\n",
    )
    row = read_export(export(path, tmp_path), entity("billing.subscription_item"), LOADED_AT).table.to_pylist()[0]
    assert row["price.unit_amount"] == 129900  # cents stay cents in the raw layer
    assert row["created"] == dt.datetime(2026, 1, 1, 0, 0, 0)


def test_bamboohr_xlsx_with_money_text(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = list(entity("hr.employee").required_columns)
    sheet.append(header)
    values = {
        "Employee #": 1042,
        "First Name": "Ada",
        "Last Name": "Lovelace",
        "Work Email": "ada@example.com",
        "Job Title": "Account Executive",
        "Department": "Sales",
        "Division": "North America",
        "Location": "Remote",
        "Supervisor EID": 1001,
        "Hire Date": dt.datetime(2026, 2, 16),
        "Termination Date": None,
        "Employment Status": "Full-Time",
        "Pay Rate": "85,000.00 USD",
        "Pay Per": "Year",
        "Variable Pay Target": "60,000.00 USD",
    }
    sheet.append([values[name] for name in header])
    path = tmp_path / "hr" / "2026-11-26" / "employees.xlsx"
    path.parent.mkdir(parents=True)
    workbook.save(path)
    batch = read_export(export(path, tmp_path), entity("hr.employee"), LOADED_AT)
    row = batch.table.to_pylist()[0]
    assert batch.parse_problems == []
    assert row["Employee #"] == "1042" and row["Supervisor EID"] == "1001"
    assert row["Hire Date"] == dt.date(2026, 2, 16)
    assert row["Pay Rate"] == Decimal("85000.00") and row["Pay Rate (currency)"] == "USD"
    assert row["_line_number"] == 2


def test_missing_required_column_names_file_and_column(tmp_path):
    header = OPPORTUNITY_HEADER.replace("StageName,", "")
    path = write(tmp_path / "crm" / "2026-11-26" / "Opportunity.csv", header + "\n")
    with pytest.raises(ExportError) as raised:
        read_export(export(path, tmp_path), entity("crm.opportunity"), LOADED_AT)
    message = str(raised.value)
    assert "crm/2026-11-26/Opportunity.csv" in message and "'StageName'" in message and "Add the column" in message


def test_ragged_row_names_the_line(tmp_path):
    path = write(tmp_path / "crm" / "d1" / "UserRole.csv", "Id,Name,ParentRoleId\n00E1,CEO,\n00E2,VP, Sales,00E1\n")
    with pytest.raises(ExportError, match=r"crm/d1/UserRole.csv line 3: 4 fields where the header has 3"):
        read_export(export(path, tmp_path), entity("crm.user_role"), LOADED_AT)


def test_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "crm" / "d1" / "UserRole.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("Id,Name,ParentRoleId\n00E1,Direcci\xf3n,\n".encode("latin-1"))
    with pytest.raises(ExportError, match=r"not valid UTF-8.*Export the file as UTF-8"):
        read_export(export(path, tmp_path), entity("crm.user_role"), LOADED_AT)


def test_unparseable_values_are_reported_with_line_and_column(tmp_path):
    path = write(
        tmp_path / "planning" / "d1" / "quotas.csv",
        "employee_number,period,quota_amount\n1042,FY2026-Q1,150000\n1043,FY2026-Q1,lots\n1044,FY2026-Q1,90000\n",
    )
    batch = read_export(export(path, tmp_path), entity("planning.quota"), LOADED_AT)
    assert batch.parse_problem_counts == {"quota_amount": 1}
    problem = batch.parse_problems[0]
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "planning/d1/quotas.csv",
        3,
        "quota_amount",
        "lots",
    )
    assert [row["quota_amount"] for row in batch.table.to_pylist()] == [Decimal("150000"), None, Decimal("90000")]


def test_a_timestamp_without_zone_offset_is_read_as_utc(tmp_path):
    path = write(
        tmp_path / "surveys" / "d1" / "nps_responses.csv",
        "response_id,account_id,score,submitted_at\nr1,001A,9,2026-03-01T14:03:22\nr2,001A,3,2026-03-01T16:03:22+02:00\n",
    )
    batch = read_export(export(path, tmp_path), entity("surveys.nps_response"), LOADED_AT)
    assert batch.parse_problems == []
    assert [row["submitted_at"] for row in batch.table.to_pylist()] == [dt.datetime(2026, 3, 1, 14, 3, 22)] * 2
