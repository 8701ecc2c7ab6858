"""The demo drop-folder generator: layout, contract columns, quirks, determinism, consistency."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
import yaml

from demo_exports.generator import generate_exports, main

AS_OF = dt.date(2026, 11, 26)
D1 = "2026-11-25"
D2 = "2026-11-26"

LAYOUT = {
    f"crm/{D1}": [
        "User.csv",
        "UserRole.csv",
        "Account.csv",
        "Lead.csv",
        "Opportunity.csv",
        "OpportunityHistory.csv",
        "OpportunitySplit.csv",
        "Task.csv",
    ],
    f"crm/{D2}": ["Opportunity.csv", "OpportunityHistory.csv", "Account.csv"],
    f"billing/{D1}": ["customers.csv", "subscriptions.csv", "subscription_items.csv", "invoices.csv", "refunds.csv"],
    f"billing/{D2}": ["subscriptions.csv", "invoices.csv"],
    f"hr/{D1}": ["employees.xlsx", "job_history.csv", "candidates.csv"],
    f"hr/{D2}": ["employees.csv"],
    f"planning/{D1}": [
        "quotas.csv",
        "comp_plans.yaml",
        "territories.csv",
        "account_territories.csv",
        "marketing_spend.csv",
    ],
    f"surveys/{D1}": ["nps_responses.csv"],
}

# Required columns, copied from shared/spec/inputs.md.
REQUIRED = {
    "User.csv": "Id, Name, Email, IsActive, ManagerId, UserRoleId, EmployeeNumber, Title, CreatedDate",
    "UserRole.csv": "Id, Name, ParentRoleId",
    "Account.csv": "Id, Name, Type, Industry, BillingCountry, NumberOfEmployees, AnnualRevenue, OwnerId, CreatedDate, "
    "IsDeleted",
    "Lead.csv": "Id, Company, Status, LeadSource, OwnerId, CreatedDate, IsConverted, ConvertedDate, "
    "ConvertedAccountId, ConvertedOpportunityId, IsDeleted",
    "Opportunity.csv": "Id, Name, AccountId, OwnerId, Type, LeadSource, StageName, Amount, Probability, "
    "ForecastCategoryName, CloseDate, CreatedDate, IsClosed, IsWon, LastModifiedDate, IsDeleted",
    "OpportunityHistory.csv": "Id, OpportunityId, StageName, Amount, Probability, ForecastCategory, CloseDate, "
    "CreatedDate, IsDeleted",
    "OpportunitySplit.csv": "Id, OpportunityId, SplitOwnerId, SplitPercentage, IsDeleted",
    "Task.csv": "Id, OwnerId, WhoId, WhatId, Subject, Type, Status, ActivityDate, IsClosed, CreatedDate, IsDeleted",
    "customers.csv": "id, name, email, created, currency, delinquent, metadata.salesforce_account_id",
    "subscriptions.csv": "id, customer, status, created, start_date, current_period_start, current_period_end, "
    "cancel_at_period_end, canceled_at, ended_at, metadata.salesforce_opportunity_id",
    "subscription_items.csv": "id, subscription, price.id, price.unit_amount, price.currency, "
    "price.recurring.interval, price.recurring.interval_count, quantity, created",
    "invoices.csv": "id, number, customer, subscription, status, billing_reason, currency, subtotal, tax, total, "
    "amount_due, amount_paid, amount_remaining, created, period_start, period_end, due_date, "
    "status_transitions.paid_at, status_transitions.voided_at",
    "refunds.csv": "id, charge, invoice, amount, currency, created, reason, status",
    "employees": "Employee #, First Name, Last Name, Work Email, Job Title, Department, Division, Location, "
    "Supervisor EID, Hire Date, Termination Date, Employment Status, Pay Rate, Pay Per, "
    "Variable Pay Target",
    "job_history.csv": "Employee #, Effective Date, Job Title, Department, Division, Location, Supervisor EID",
    "candidates.csv": "Candidate ID, Job, Department, Source, Current Stage, Applied Date, Hired Date, Rejected Date",
    "quotas.csv": "employee_number, period, quota_amount",
    "territories.csv": "territory_id, name, region, segment, owner_employee_number",
    "account_territories.csv": "account_id, territory_id",
    "marketing_spend.csv": "month, channel, amount",
    "nps_responses.csv": "response_id, account_id, score, submitted_at",
}
REQUIRED["employees.csv"] = REQUIRED["employees.xlsx"] = REQUIRED.pop("employees")

STAGE_DEFAULTS = {  # StageName -> (Probability, ForecastCategoryName, IsClosed, IsWon)
    "Prospecting": ("10", "Pipeline", "false", "false"),
    "Qualification": ("20", "Pipeline", "false", "false"),
    "Value Proposition": ("50", "Best Case", "false", "false"),
    "Negotiation/Review": ("80", "Commit", "false", "false"),
    "Closed Won": ("100", "Closed", "true", "true"),
    "Closed Lost": ("0", "Omitted", "true", "false"),
}
HISTORY_FORECAST = {
    "Prospecting": "Pipeline",
    "Qualification": "Pipeline",
    "Value Proposition": "BestCase",
    "Negotiation/Review": "Forecast",
    "Closed Won": "Closed",
    "Closed Lost": "Omitted",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("demo") / "exports"
    return out, generate_exports(out, scale=0.2, seed=7, as_of=AS_OF)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(next(workbook.worksheets[0].iter_rows(values_only=True)))
        finally:
            workbook.close()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def employees(out: Path) -> dict[str, dict]:
    workbook = openpyxl.load_workbook(out / "hr" / D1 / "employees.xlsx", read_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    return {row[0]: dict(zip(rows[0], row, strict=False)) for row in rows[1:]}


def test_layout_every_file_present_and_non_empty(demo):
    out, files = demo
    expected = {out / folder / name for folder, names in LAYOUT.items() for name in names}
    assert set(files) == expected
    on_disk = {path for path in out.rglob("*") if path.is_file()}
    assert on_disk == expected
    for path in expected:
        if path.suffix == ".csv":
            assert len(read_csv(path)) >= 1, f"{path} has no data rows"
        else:
            assert path.stat().st_size > 200, path


def test_required_columns_of_the_input_contract(demo):
    out, _ = demo
    for folder, names in LAYOUT.items():
        for name in names:
            if name.endswith(".yaml"):
                continue
            present = header(out / folder / name)
            missing = [c.strip() for c in REQUIRED[name].split(",") if c.strip() not in present]
            assert not missing, f"{folder}/{name} lacks {missing}"
    # unknown extra columns the pipeline must keep
    assert "Region__c" in header(out / "crm" / D1 / "Opportunity.csv")
    assert "Segment__c" in header(out / "crm" / D1 / "Account.csv")
    assert "metadata.segment" in header(out / "billing" / D1 / "customers.csv")


def test_crm_files_carry_a_bom_and_others_do_not(demo):
    _, files = demo
    for path in files:
        if path.suffix != ".csv":
            continue
        has_bom = path.read_bytes()[:3] == b"\xef\xbb\xbf"
        assert has_bom == (path.parts[-3] == "crm"), path


def test_rfc4180_quirks_quoted_newline_comma_and_quote(demo):
    out, _ = demo
    for name, column in (("Opportunity.csv", "Name"), ("Task.csv", "Subject")):
        values = [row[column] for row in read_csv(out / "crm" / D1 / name)]
        assert any("\n" in v and "," in v and '"' in v for v in values), name
        assert b'""' in (out / "crm" / D1 / name).read_bytes()
    pay = (out / "hr" / D2 / "employees.csv").read_text(encoding="utf-8")
    assert '" USD"' not in pay and ',"' in pay and ' USD"' in pay  # "85,000.00 USD" is quoted


def test_same_seed_gives_byte_identical_files(demo, tmp_path):
    out, files = demo
    again = generate_exports(tmp_path / "again", scale=0.2, seed=7, as_of=AS_OF)
    assert [p.relative_to(tmp_path / "again") for p in again] == [p.relative_to(out) for p in files]
    for first, second in zip(files, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    other = generate_exports(tmp_path / "other", scale=0.2, seed=8, as_of=AS_OF)
    assert any(a.read_bytes() != b.read_bytes() for a, b in zip(files, other, strict=False) if a.suffix == ".csv")


def test_scale_grows_tables_proportionally(demo, tmp_path):
    out, _ = demo
    small = len(read_csv(out / "crm" / D1 / "Opportunity.csv"))
    generate_exports(tmp_path / "big", scale=0.4, seed=7, as_of=AS_OF)
    big = len(read_csv(tmp_path / "big" / "crm" / D1 / "Opportunity.csv"))
    assert 0.75 * 2 * small <= big <= 1.25 * 2 * small
    assert len(employees(tmp_path / "big")) > len(employees(out))


def test_opportunities_are_consistent_with_their_stage(demo):
    out, _ = demo
    opps = read_csv(out / "crm" / D1 / "Opportunity.csv")
    stages = {o["StageName"] for o in opps}
    assert stages == set(STAGE_DEFAULTS)
    for o in opps:
        assert (o["Probability"], o["ForecastCategoryName"], o["IsClosed"], o["IsWon"]) == STAGE_DEFAULTS[
            o["StageName"]
        ]
        assert o["Type"] in ("New Business", "Existing Business", "Renewal")
        assert o["CloseDate"] >= o["CreatedDate"][:10]
        assert o["CreatedDate"][:10] <= D1 and o["LastModifiedDate"][:10] <= D1
        dt.datetime.strptime(o["CreatedDate"], "%Y-%m-%dT%H:%M:%S.000Z")
        if o["IsClosed"] == "true":
            assert o["CloseDate"] <= D1
    won = sum(o["StageName"] == "Closed Won" for o in opps) / len(opps)
    lost = sum(o["StageName"] == "Closed Lost" for o in opps) / len(opps)
    assert 0.35 < won < 0.55 and 0.25 < lost < 0.45
    assert any(o["IsDeleted"] == "true" for o in opps)
    assert any(o["Type"] == "New Business" and o["IsWon"] == "true" and float(o["Amount"]) >= 100000 for o in opps)


def test_history_last_row_is_the_current_state(demo):
    out, _ = demo
    opps = read_csv(out / "crm" / D1 / "Opportunity.csv")
    history = defaultdict(list)
    for row in read_csv(out / "crm" / D1 / "OpportunityHistory.csv"):
        history[row["OpportunityId"]].append(row)
        assert row["ForecastCategory"] == HISTORY_FORECAST[row["StageName"]]
    assert set(history) == {o["Id"] for o in opps}
    pushed = 0
    for o in opps:
        rows = sorted(history[o["Id"]], key=lambda r: r["CreatedDate"])
        assert rows[0]["CreatedDate"] == o["CreatedDate"]
        last = rows[-1]
        assert (last["StageName"], last["Amount"], last["Probability"], last["CloseDate"]) == (
            o["StageName"],
            o["Amount"],
            o["Probability"],
            o["CloseDate"],
        ), o["Id"]
        pushed += any(
            b["CloseDate"] > a["CloseDate"] and b["StageName"] == a["StageName"] for a, b in itertools.pairwise(rows)
        )
    assert pushed > 0


def test_splits_sum_to_100_and_include_the_owner(demo):
    out, _ = demo
    opps = {o["Id"]: o for o in read_csv(out / "crm" / D1 / "Opportunity.csv")}
    splits = defaultdict(list)
    for row in read_csv(out / "crm" / D1 / "OpportunitySplit.csv"):
        splits[row["OpportunityId"]].append(row)
    assert splits
    for opp_id, rows in splits.items():
        assert sum(float(r["SplitPercentage"]) for r in rows) == 100
        assert len(rows) == 2
        assert opps[opp_id]["IsWon"] == "true"
        assert opps[opp_id]["OwnerId"] in {r["SplitOwnerId"] for r in rows}


def test_crm_users_match_hr(demo):
    out, _ = demo
    users = {u["Id"]: u for u in read_csv(out / "crm" / D1 / "User.csv")}
    staff = employees(out)
    roles = {r["Id"]: r for r in read_csv(out / "crm" / D1 / "UserRole.csv")}
    for path in (out / "crm" / D1 / "Opportunity.csv", out / "crm" / D2 / "Opportunity.csv"):
        assert all(o["OwnerId"] in users for o in read_csv(path))
    assert all(a["OwnerId"] in users for a in read_csv(out / "crm" / D1 / "Account.csv"))
    assert any(u["EmployeeNumber"] == "" for u in users.values())  # integration user
    for u in users.values():
        assert len(u["Id"]) == 18 and u["Id"].startswith("005")
        if u["UserRoleId"]:
            assert u["UserRoleId"] in roles
        if not u["EmployeeNumber"]:
            continue
        person = staff[u["EmployeeNumber"]]
        assert person["Department"] == "Sales"
        manager = users[u["ManagerId"]]["EmployeeNumber"] if u["ManagerId"] else None
        assert manager == person["Supervisor EID"]
        assert (u["IsActive"] == "true") == (person["Termination Date"] is None)
    # every sales employee has a user
    assert {p for p, e in staff.items() if e["Department"] == "Sales"} == {
        u["EmployeeNumber"] for u in users.values() if u["EmployeeNumber"]
    }


def test_hr_hierarchy_and_formats(demo):
    out, _ = demo
    staff = employees(out)

    def depth(eid):
        sup = staff[eid]["Supervisor EID"]
        return 1 if sup is None else 1 + depth(sup)

    sales = [e for e in staff if staff[e]["Department"] == "Sales"]
    assert max(depth(e) for e in sales) >= 3
    assert any(staff[e]["Department"] != "Sales" for e in staff)
    assert any(staff[e]["Employment Status"] == "Terminated" and staff[e]["Termination Date"] for e in staff)
    for e in staff.values():
        assert isinstance(e["Employee #"], str) and e["Employee #"].isdigit()
        assert e["Pay Rate"].endswith(" USD") and e["Pay Per"] in ("Year", "Hour")
        assert e["Hire Date"] <= D1
        assert (e["Employment Status"] == "Terminated") == (e["Termination Date"] is not None)
    d2 = read_csv(out / "hr" / D2 / "employees.csv")
    assert any(r["Employment Status"] == "Terminated" and r["Termination Date"] for r in d2)
    assert all(r["Employee #"] in staff for r in d2)
    history = read_csv(out / "hr" / D1 / "job_history.csv")
    assert len(history) > len(staff)  # promotions / manager changes
    for c in read_csv(out / "hr" / D1 / "candidates.csv"):
        assert bool(c["Hired Date"]) == (c["Current Stage"] == "Hired")
        assert bool(c["Rejected Date"]) == (c["Current Stage"] == "Rejected")


def test_partial_delivery_reuses_ids_and_deletes(demo):
    out, _ = demo
    d1 = {o["Id"]: o for o in read_csv(out / "crm" / D1 / "Opportunity.csv")}
    d2 = read_csv(out / "crm" / D2 / "Opportunity.csv")
    deleted = [o for o in d2 if o["IsDeleted"] == "true"]
    assert deleted and all(o["Id"] in d1 for o in deleted)
    for o in deleted:  # otherwise the same row
        assert {k: v for k, v in o.items() if k != "IsDeleted"} == {
            k: v for k, v in d1[o["Id"]].items() if k != "IsDeleted"
        }
    new = [o for o in d2 if o["Id"] not in d1]
    changed = [o for o in d2 if o["Id"] in d1 and o["IsDeleted"] == "false"]
    assert new and changed
    history = read_csv(out / "crm" / D2 / "OpportunityHistory.csv")
    d1_history = {h["Id"] for h in read_csv(out / "crm" / D1 / "OpportunityHistory.csv")}
    assert all(h["Id"] not in d1_history and h["CreatedDate"].startswith(D2) for h in history)
    last = {}
    for h in sorted(history, key=lambda h: h["CreatedDate"]):
        last[h["OpportunityId"]] = h
    for o in new + changed:
        h = last[o["Id"]]
        assert (h["StageName"], h["Amount"], h["CloseDate"]) == (o["StageName"], o["Amount"], o["CloseDate"])
        if o["IsClosed"] == "true":
            assert o["CloseDate"] <= D2
    assert read_csv(out / "crm" / D2 / "Account.csv")


def test_leads_tasks_and_accounts_reference_real_records(demo):
    out, _ = demo
    opps = {o["Id"] for o in read_csv(out / "crm" / D1 / "Opportunity.csv")}
    accounts = {a["Id"] for a in read_csv(out / "crm" / D1 / "Account.csv")}
    leads = read_csv(out / "crm" / D1 / "Lead.csv")
    converted = [lead for lead in leads if lead["IsConverted"] == "true"]
    assert converted and len(converted) < len(leads)
    for lead in converted:
        assert lead["ConvertedOpportunityId"] in opps and lead["ConvertedAccountId"] in accounts
        assert lead["ConvertedDate"] and lead["Status"] == "Closed - Converted"
    lead_ids = {lead["Id"] for lead in leads}
    for task in read_csv(out / "crm" / D1 / "Task.csv"):
        assert task["WhatId"] in opps
        assert task["WhoId"] == "" or task["WhoId"] in lead_ids
        assert task["ActivityDate"] <= D1
    territories = {t["territory_id"] for t in read_csv(out / "planning" / D1 / "territories.csv")}
    mapped = {r["account_id"]: r["territory_id"] for r in read_csv(out / "planning" / D1 / "account_territories.csv")}
    assert set(mapped) == accounts and set(mapped.values()) <= territories
    for nps in read_csv(out / "surveys" / D1 / "nps_responses.csv"):
        assert nps["account_id"] in accounts and 0 <= int(nps["score"]) <= 10
        dt.datetime.strptime(nps["submitted_at"], "%Y-%m-%dT%H:%M:%SZ")


def test_billing_is_consistent(demo):
    out, _ = demo
    opps = {o["Id"]: o for o in read_csv(out / "crm" / D1 / "Opportunity.csv")}
    accounts = {a["Id"] for a in read_csv(out / "crm" / D1 / "Account.csv")}
    customers = {c["id"]: c for c in read_csv(out / "billing" / D1 / "customers.csv")}
    assert all(c["metadata.salesforce_account_id"] in accounts for c in customers.values())
    subs = {s["id"]: s for s in read_csv(out / "billing" / D1 / "subscriptions.csv")}
    for s in subs.values():
        assert s["customer"] in customers
        opp = s["metadata.salesforce_opportunity_id"]
        if opp:
            assert opps[opp]["IsWon"] == "true"
        assert (s["status"] == "canceled") == bool(s["ended_at"])
    assert any(s["status"] == "canceled" for s in subs.values())
    items = read_csv(out / "billing" / D1 / "subscription_items.csv")
    assert {i["price.recurring.interval"] for i in items} >= {"month", "year"}
    assert all(i["subscription"] in subs and int(i["price.unit_amount"]) > 0 and int(i["quantity"]) >= 1 for i in items)
    invoices = {i["id"]: i for i in read_csv(out / "billing" / D1 / "invoices.csv")}
    statuses = {i["status"] for i in invoices.values()}
    assert {"paid", "open", "draft"} <= statuses
    as_of_epoch = int(dt.datetime(2026, 11, 26, tzinfo=dt.UTC).timestamp())
    for i in invoices.values():
        total = int(i["total"])
        assert int(i["subtotal"]) + int(i["tax"]) == total == int(i["amount_due"])
        assert int(i["amount_due"]) - int(i["amount_paid"]) == int(i["amount_remaining"])
        assert int(i["created"]) < as_of_epoch
        if i["status"] == "paid":
            assert int(i["amount_paid"]) == total and int(i["amount_remaining"]) == 0
            assert int(i["status_transitions.paid_at"]) >= int(i["created"])
        else:
            assert i["status_transitions.paid_at"] == ""
        assert bool(i["status_transitions.voided_at"]) == (i["status"] == "void")
    refunds = read_csv(out / "billing" / D1 / "refunds.csv")
    assert {r["status"] for r in refunds} == {"succeeded", "failed"}
    for r in refunds:
        assert invoices[r["invoice"]]["status"] == "paid"
        assert 0 < int(r["amount"]) <= int(invoices[r["invoice"]]["amount_paid"])
    d2_subs = read_csv(out / "billing" / D2 / "subscriptions.csv")
    assert all(s["id"] in subs for s in d2_subs)
    assert any(s["status"] == "canceled" and subs[s["id"]]["status"] != "canceled" for s in d2_subs)
    assert read_csv(out / "billing" / D2 / "invoices.csv")


def test_plans_quotas_and_spend(demo):
    out, _ = demo
    plans = yaml.safe_load((out / "planning" / D1 / "comp_plans.yaml").read_text(encoding="utf-8"))
    ids = {p["id"] for p in plans["plans"]}
    assert {"ae_2026", "sdr_2026"} <= ids
    ae = next(p for p in plans["plans"] if p["id"] == "ae_2026")
    assert ae["period"] == "quarter" and ae["cap"] == 3.0 and ae["clawback_days"] == 90
    assert ae["tiers"][-1]["to"] is None and ae["draw"] == {"amount": 6000, "recoverable": True}
    assert ae["spiffs"][0]["opportunity_type"] == "New Business"
    staff = employees(out)
    by_person = defaultdict(list)
    for a in plans["assignments"]:
        assert isinstance(a["employee_number"], str) and a["employee_number"] in staff
        assert a["plan"] in ids and isinstance(a["start"], dt.date)
        by_person[a["employee_number"]].append(a)
    for rows in by_person.values():
        rows.sort(key=lambda a: a["start"])
        for a, b in itertools.pairwise(rows):
            assert a["end"] is not None and a["end"] < b["start"]
    quotas = read_csv(out / "planning" / D1 / "quotas.csv")
    assert {q["employee_number"] for q in quotas} == set(by_person)
    assert any(q["period"] == "FY2026-Q1" for q in quotas)
    assert len({(q["employee_number"], q["period"]) for q in quotas}) == len(quotas)
    spend = read_csv(out / "planning" / D1 / "marketing_spend.csv")
    months = {s["month"] for s in spend}
    assert "2026-11" in months and "2024-12" in months
    assert {s["channel"] for s in spend} == {"Paid Search", "Events", "Content", "Partners"}


def test_cli(tmp_path):
    assert main(["--out", str(tmp_path / "x"), "--scale", "0.05", "--seed", "3", "--as-of", "2026-03-31"]) == 0
    assert (tmp_path / "x" / "crm" / "2026-03-30" / "Opportunity.csv").exists()
    assert (tmp_path / "x" / "billing" / "2026-03-31" / "invoices.csv").exists()
