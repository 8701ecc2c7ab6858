"""Hand-worked cases for the independent commission oracle (tests/commission_oracle.py).

Every expected figure below is worked out by hand in the comment beside it, from
shared/spec/commissions.md as read by dbt_project/models/marts/commissions/commission_rules.md.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from tests.commission_oracle import Line, compute, compute_lines, compute_statements

D = Decimal

USER_HEADER = "Id,Name,Email,IsActive,ManagerId,UserRoleId,EmployeeNumber,Title,CreatedDate"
OPP_HEADER = (
    "Id,Name,AccountId,OwnerId,Type,LeadSource,StageName,Amount,Probability,ForecastCategoryName,"
    "CloseDate,CreatedDate,IsClosed,IsWon,LastModifiedDate,IsDeleted"
)
SPLIT_HEADER = "Id,OpportunityId,SplitOwnerId,SplitPercentage,IsDeleted"
EMP_HEADER = [
    "Employee #",
    "First Name",
    "Last Name",
    "Work Email",
    "Job Title",
    "Department",
    "Division",
    "Location",
    "Supervisor EID",
    "Hire Date",
    "Termination Date",
    "Employment Status",
    "Pay Rate",
    "Pay Per",
    "Variable Pay Target",
]
QUOTA_HEADER = "employee_number,period,quota_amount"
SUB_HEADER = (
    "id,customer,status,created,start_date,current_period_start,current_period_end,cancel_at_period_end,"
    "canceled_at,ended_at,metadata.salesforce_opportunity_id"
)

TIERS_3 = [
    {"from": 0.0, "to": 1.0, "rate": 0.10},
    {"from": 1.0, "to": 1.5, "rate": 0.15},
    {"from": 1.5, "to": None, "rate": 0.20},
]
FLAT_10 = [{"from": 0.0, "to": None, "rate": 0.10}]


# ---------------------------------------------------------------------------- export builders
def _write(path: Path, lines: list[str], bom: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8"))


def user(user_id: str, employee_number: str | None) -> str:
    return f"{user_id},User {user_id},{user_id}@x.com,true,,,{employee_number or ''},AE,2020-01-01T00:00:00.000Z"


def opp(
    opp_id: str, owner: str, amount, close: str, type_: str = "New Business", won: bool = True, deleted: bool = False
) -> str:
    stage = "Closed Won" if won else "Closed Lost"
    return (
        f'{opp_id},"Deal {opp_id}, Inc.",001A,{owner},{type_},Web,{stage},{amount},100,Closed,{close},'
        f"2025-01-01T00:00:00.000Z,true,{str(won).lower()},2025-01-01T00:00:00.000Z,{str(deleted).lower()}"
    )


def split(split_id: str, opp_id: str, owner: str, pct) -> str:
    return f"{split_id},{opp_id},{owner},{pct},false"


def employee(number: str, hire: str, term: str = "") -> list:
    return [
        number,
        "A",
        "B",
        f"{number}@x.com",
        "Account Executive",
        "Sales",
        "Americas",
        "Austin, TX",
        "",
        hire,
        term,
        "Terminated" if term else "Full-Time",
        "80,000.00 USD",
        "Year",
        "60,000.00 USD",
    ]


def epoch(year, month, day, hour=12, minute=0) -> int:
    return calendar.timegm(dt.datetime(year, month, day, hour, minute).timetuple())


def sub(sub_id: str, opp_id: str, canceled_at: int | None) -> str:
    status = "canceled" if canceled_at else "active"
    c = "" if canceled_at is None else str(canceled_at)
    return f"{sub_id},cus_1,{status},1735689600,1735689600,1735689600,1738368000,false,{c},{c},{opp_id}"


def plan(plan_id: str, period: str, tiers, ramp=(), cap=None, clawback_days=None, draw=None, spiffs=()):
    return {
        "id": plan_id,
        "period": period,
        "measure": "bookings",
        "ramp": list(ramp),
        "tiers": tiers,
        "cap": cap,
        "clawback_days": clawback_days,
        "draw": draw,
        "spiffs": list(spiffs),
    }


def assignment(number: str, plan_id: str, start: str, end: str | None = None) -> dict:
    return {
        "employee_number": number,
        "plan": plan_id,
        "start": dt.date.fromisoformat(start),
        "end": dt.date.fromisoformat(end) if end else None,
    }


def exports(
    root: Path,
    delivery: str = "2026-01-01",
    *,
    users=None,
    opps=None,
    splits=None,
    employees=None,
    employees_xlsx=False,
    quotas=None,
    plans=None,
    assignments=None,
    subs=None,
) -> Path:
    if users is not None:
        _write(root / "crm" / delivery / "User.csv", [USER_HEADER, *users])
    if opps is not None:
        _write(root / "crm" / delivery / "Opportunity.csv", [OPP_HEADER, *opps])
    if splits is not None:
        _write(root / "crm" / delivery / "OpportunitySplit.csv", [SPLIT_HEADER, *splits])
    if employees is not None:
        if employees_xlsx:
            path = root / "hr" / delivery / "employees.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            workbook = openpyxl.Workbook()
            sheet = workbook.active
            sheet.append(EMP_HEADER)
            for row in employees:
                sheet.append([v if v != "" else None for v in row])
            workbook.save(path)
        else:

            def quote(v):
                return f'"{v}"' if "," in v else v

            _write(
                root / "hr" / delivery / "employees.csv",
                [",".join(EMP_HEADER)] + [",".join(quote(v) for v in row) for row in employees],
                bom=False,
            )
    if quotas is not None:
        _write(
            root / "planning" / delivery / "quotas.csv",
            [QUOTA_HEADER] + [f"{n},{p},{a}" for n, p, a in quotas],
            bom=False,
        )
    if plans is not None:
        path = root / "planning" / delivery / "comp_plans.yaml"
        path.write_text(yaml.safe_dump({"plans": plans, "assignments": assignments or []}, sort_keys=False))
    if subs is not None:
        _write(root / "billing" / delivery / "subscriptions.csv", [SUB_HEADER, *subs], bom=False)
    return root


def lines_of(lines: list[Line], employee_number, period_start: dt.date | None = None, line_type=None):
    return [
        (line.opportunity_id, line.credited_amount, line.band_from, line.band_to, line.rate, line.amount)
        for line in lines
        if line.employee_number == employee_number
        and (period_start is None or line.period_start == period_start)
        and (line_type is None or line.line_type == line_type)
    ]


def figures(statement) -> tuple:
    return (
        statement.effective_quota,
        statement.credited_bookings,
        statement.attainment,
        statement.commission,
        statement.spiffs,
        statement.clawbacks,
        statement.earned,
        statement.draw_paid,
        statement.draw_balance,
        statement.payout,
    )


# ---------------------------------------------------------------------------- hand-worked cases
def test_mid_quarter_hire_with_ramp(tmp_path):
    # Hired 2026-02-15, assignment from the hire date, ramp [0.5] (1.0 from tenure month 2).
    # FY2026-Q1 quota 100000 -> 33333.333.../month.
    #   Jan: before the assignment -> not counted (and ramp 0 before the hire month anyway).
    #   Feb: tenure 1, ramp 0.5, employed 14/28 days -> 33333.333... * 0.5 * 0.5 = 8333.3333...
    #   Mar: tenure 2, ramp 1.0, full month          -> 33333.3333...
    #   Q1 = 41666.6666... -> 41666.67 (rounded once; month by month would give 8333.33 + 33333.33 = 41666.66)
    # FY2026-Q2 quota 90000, tenure 3..5 -> 90000.00.
    # Deal 25000 on 2026-03-10: attainment 25000 / 41666.67 = 0.59999995... -> 0.600000; commission 2500.00.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "25000.00", "2026-03-10")],
        employees=[employee("1", "2026-02-15")],
        quotas=[("1", "FY2026-Q1", "100000"), ("1", "FY2026-Q2", "90000"), ("1", "FY2025-Q4", "90000")],
        plans=[plan("ae", "quarter", TIERS_3, ramp=[0.5])],
        assignments=[assignment("1", "ae", "2026-02-15")],
    )
    statements = compute_statements(root, dt.date(2026, 4, 30))
    assert set(statements) == {("1", "ae", dt.date(2026, 1, 1)), ("1", "ae", dt.date(2026, 4, 1))}
    q1, q2 = statements[("1", "ae", dt.date(2026, 1, 1))], statements[("1", "ae", dt.date(2026, 4, 1))]
    assert figures(q1) == (
        D("41666.67"),
        D("25000.00"),
        D("0.600000"),
        D("2500.00"),
        0,
        0,
        D("2500.00"),
        0,
        0,
        D("2500.00"),
    )
    assert figures(q2) == (D("90000.00"), 0, D("0.000000"), 0, 0, 0, 0, 0, 0, 0)


def test_fiscal_year_starting_in_february(tmp_path):
    # SALESOPS_FISCAL_YEAR_START_MONTH = 2: FY2026 = Feb 2025 .. Jan 2026, FY2026-Q4 = Nov 2025 .. Jan 2026.
    # Quota FY2026-Q4 = 90000 -> 30000 for Nov, Dec, Jan; person employed throughout, no ramp.
    # Deal 45000 on 2026-01-31 falls in the quarter starting 2025-11-01: attainment 0.5, commission 4500.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "45000", "2026-01-31")],
        employees=[employee("1", "2020-01-01")],
        quotas=[("1", "FY2026-Q4", "90000")],
        plans=[plan("ae", "quarter", TIERS_3)],
        assignments=[assignment("1", "ae", "2025-11-01")],
    )
    statements = compute_statements(root, dt.date(2026, 1, 31), fiscal_year_start_month=2)
    assert list(statements) == [("1", "ae", dt.date(2025, 11, 1))]
    assert figures(statements[("1", "ae", dt.date(2025, 11, 1))])[:4] == (
        D("90000.00"),
        D("45000.00"),
        D("0.500000"),
        D("4500.00"),
    )


def test_termination_prorates_the_quota_and_later_deals_are_uncredited(tmp_path):
    # Hired 2020 (ramp over), terminated 2026-08-10, assignment ends 2026-08-10. FY2026-Q3 quota 90000.
    #   Jul: 30000; Aug: 30000 * 10/31 = 9677.419...; Sep: after the assignment -> not counted.
    #   Q3 = 39677.419... -> 39677.42
    # Deal 10000 on 2026-07-15: attainment 10000 / 39677.42 = 0.2520325... -> 0.252033; commission 1000.00.
    # Deal 5000 on 2026-08-20 (after the assignment): an uncredited line, plan null, period 2026-08-01.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "10000", "2026-07-15"), opp("O2", "U1", "5000", "2026-08-20")],
        employees=[employee("1", "2020-03-01", "2026-08-10")],
        quotas=[("1", "FY2026-Q3", "90000")],
        plans=[plan("ae", "quarter", TIERS_3, ramp=[0.0, 0.5])],
        assignments=[assignment("1", "ae", "2026-01-01", "2026-08-10")],
    )
    statements, lines = compute(root, dt.date(2026, 9, 30))
    q3 = statements[("1", "ae", dt.date(2026, 7, 1))]
    assert figures(q3)[:4] == (D("39677.42"), D("10000.00"), D("0.252033"), D("1000.00"))
    assert [line for line in lines if line.line_type == "uncredited"] == [
        Line("1", None, dt.date(2026, 8, 1), "uncredited", "O2", D("5000.00"), None, None, None, D("0.00"))
    ]
    assert max(statements)[2] == dt.date(2026, 7, 1)  # no Q4 statement: the assignment ended


def test_deals_crossing_the_100_percent_edge(tmp_path):
    # Quarterly quota 100000, tiers 10 % [0,1), 15 % [1,1.5), 20 % [1.5,null). Deals in (CloseDate, Id) order:
    #   A 80000 on 01-10: 0..80000       -> 80000 @ 10 % = 8000
    #   B 40000 on 02-05 (Id 006B < 006C): 80000..120000 -> 20000 @ 10 % = 2000, 20000 @ 15 % = 3000
    #   C 50000 on 02-05: 120000..170000 -> 30000 @ 15 % = 4500, 20000 @ 20 % = 4000
    # commission 21500, credited 170000, attainment 1.7.
    # A later delivery deletes won deal 006D (IsDeleted = true); lost deal 006E never counts.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[
            opp("006A", "U1", "80000", "2026-01-10"),
            opp("006C", "U1", "50000", "2026-02-05"),
            opp("006B", "U1", "40000", "2026-02-05"),
            opp("006D", "U1", "99999", "2026-02-01"),
            opp("006E", "U1", "70000", "2026-02-01", won=False),
        ],
        employees=[employee("1", "2020-01-01")],
        quotas=[("1", "FY2026-Q1", "100000")],
        plans=[plan("ae", "quarter", TIERS_3)],
        assignments=[assignment("1", "ae", "2026-01-01")],
    )
    exports(root, "2026-03-31", opps=[opp("006D", "U1", "99999", "2026-02-01", deleted=True)])
    statements, lines = compute(root, dt.date(2026, 3, 31))
    assert figures(statements[("1", "ae", dt.date(2026, 1, 1))]) == (
        D("100000.00"),
        D("170000.00"),
        D("1.700000"),
        D("21500.00"),
        0,
        0,
        D("21500.00"),
        0,
        0,
        D("21500.00"),
    )
    assert lines_of(lines, "1", line_type="commission") == [
        ("006A", D("80000.00"), D("0.0"), D("1.0"), D("0.1"), D("8000.00")),
        ("006B", D("20000.00"), D("0.0"), D("1.0"), D("0.1"), D("2000.00")),
        ("006B", D("20000.00"), D("1.0"), D("1.5"), D("0.15"), D("3000.00")),
        ("006C", D("30000.00"), D("1.0"), D("1.5"), D("0.15"), D("4500.00")),
        ("006C", D("20000.00"), D("1.5"), None, D("0.2"), D("4000.00")),
    ]
    assert compute_lines(root, dt.date(2026, 3, 31)) == lines


def test_cap_and_band_edges_rounded_to_cents(tmp_path):
    # Monthly quota 10000.01, tiers 10 % [0,1), 20 % [1,null), cap 2.5. Edges in money (rounded half-up):
    #   1.0 * Q = 10000.01; cap 2.5 * Q = 25000.025 -> 25000.03.
    # Deal 1 15000 (03-01): 10000.01 @ 10 % = 1000.001 -> 1000.00; 4999.99 @ 20 % = 999.998 -> 1000.00
    # Deal 2 12000 (03-02): 15000..25000.03 -> 10000.03 @ 20 % = 2000.006 -> 2000.01;
    #                       25000.03..27000 -> 1999.97 above the cap, rate 0, band [2.5, null)
    # commission 4000.01; credited 27000; attainment 27000 / 10000.01 = 2.6999973 -> 2.699997.
    # The tier cut by the cap keeps its own bounds [1.0, null).
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "15000", "2026-03-01"), opp("O2", "U1", "12000", "2026-03-02")],
        employees=[employee("1", "2020-01-01")],
        quotas=[("1", "2026-03", "10000.01")],
        plans=[
            plan("m", "month", [{"from": 0.0, "to": 1.0, "rate": 0.1}, {"from": 1.0, "to": None, "rate": 0.2}], cap=2.5)
        ],
        assignments=[assignment("1", "m", "2026-03-01")],
    )
    statements, lines = compute(root, dt.date(2026, 3, 31))
    assert figures(statements[("1", "m", dt.date(2026, 3, 1))])[:4] == (
        D("10000.01"),
        D("27000.00"),
        D("2.699997"),
        D("4000.01"),
    )
    assert lines_of(lines, "1", line_type="commission") == [
        ("O1", D("10000.01"), D("0.0"), D("1.0"), D("0.1"), D("1000.00")),
        ("O1", D("4999.99"), D("1.0"), None, D("0.2"), D("1000.00")),
        ("O2", D("10000.03"), D("1.0"), None, D("0.2"), D("2000.01")),
        ("O2", D("1999.97"), D("2.5"), None, D("0"), D("0.00")),
    ]


def test_split_deal(tmp_path):
    # Deal 33333.33 split 50 / 30 / 20 between U1 (person 1), U2 (person 2) and U3 (no employee number):
    #   round(33333.33 * 0.5, 2) = 16666.665 -> 16666.67; * 0.3 = 9999.999 -> 10000.00; * 0.2 = 6666.666 -> 6666.67
    # Monthly quota 50000, 10 % flat: person 1 1666.667 -> 1666.67, person 2 1000.00.
    # U3's 6666.67 is an uncredited line with employee_number null, period 2026-05-01.
    # A deleted split row is ignored.
    root = exports(
        tmp_path,
        users=[user("U1", "1"), user("U2", "2"), user("U3", None)],
        opps=[opp("O1", "U1", "33333.33", "2026-05-20")],
        splits=[
            split("S1", "O1", "U1", "50"),
            split("S2", "O1", "U2", "30"),
            split("S3", "O1", "U3", "20"),
            "S4,O1,U2,40,true",
        ],
        employees=[employee("1", "2020-01-01"), employee("2", "2020-01-01")],
        quotas=[("1", "2026-05", "50000"), ("2", "2026-05", "50000")],
        plans=[plan("m", "month", FLAT_10)],
        assignments=[assignment("1", "m", "2026-01-01"), assignment("2", "m", "2026-01-01")],
    )
    statements, lines = compute(root, dt.date(2026, 5, 31))
    may = dt.date(2026, 5, 1)
    assert figures(statements[("1", "m", may)])[1:4] == (D("16666.67"), D("0.333333"), D("1666.67"))
    assert figures(statements[("2", "m", may)])[1:4] == (D("10000.00"), D("0.200000"), D("1000.00"))
    assert lines_of(lines, None) == [("O1", D("6666.67"), None, None, None, D("0.00"))]
    assert [line.plan_id for line in lines if line.line_type == "uncredited"] == [None]


def test_zero_quota_period(tmp_path):
    # Hired 2026-01-05, ramp [0.0, 0.5]: January's effective quota is 0 (tenure month 1).
    # Deal 30000 in January: all credit in the first tier (10 %), the cap (1.5) does not apply:
    # one line 30000 @ 10 % = 3000; attainment null.
    # February: quota 20000 * 0.5 = 10000; deal 30000 -> 10000 @ 10 % + 5000 @ 20 % + 15000 above the cap.
    tiers = [{"from": 0.0, "to": 1.0, "rate": 0.1}, {"from": 1.0, "to": None, "rate": 0.2}]
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "30000", "2026-01-20"), opp("O2", "U1", "30000", "2026-02-20")],
        employees=[employee("1", "2026-01-05")],
        quotas=[("1", "2026-01", "20000"), ("1", "2026-02", "20000")],
        plans=[plan("m", "month", tiers, ramp=[0.0, 0.5], cap=1.5)],
        assignments=[assignment("1", "m", "2026-01-05")],
    )
    statements, lines = compute(root, dt.date(2026, 2, 28))
    jan, feb = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    assert figures(statements[("1", "m", jan)])[:4] == (D("0.00"), D("30000.00"), None, D("3000.00"))
    assert lines_of(lines, "1", jan) == [("O1", D("30000.00"), D("0.0"), D("1.0"), D("0.1"), D("3000.00"))]
    assert figures(statements[("1", "m", feb)])[:4] == (D("10000.00"), D("30000.00"), D("3.000000"), D("2000.00"))
    assert lines_of(lines, "1", feb) == [
        ("O2", D("10000.00"), D("0.0"), D("1.0"), D("0.1"), D("1000.00")),
        ("O2", D("5000.00"), D("1.0"), None, D("0.2"), D("1000.00")),
        ("O2", D("15000.00"), D("1.5"), None, D("0"), D("0.00")),
    ]


def test_spiff_pays_the_owner_once_per_matching_deal(tmp_path):
    # SPIFF: New Business with Amount >= 50000 pays 500 to the owner.
    #   O1 NB 50000.00 -> match (owner U1)         O2 NB 49999.99 -> below min_amount
    #   O3 Renewal 80000 -> wrong type             O4 NB 60000 owned by U1, 100 % split to U2 -> U1 still gets it
    #   O5 NB 70000 lost -> not won
    # Person 1: spiffs 1000, commission 10 % of (50000 + 49999.99 + 80000) = 17999.999 -> 17999.999 per line:
    #   5000.00 + 5000.00 (4999.999) + 8000.00 = 18000.00.  Person 2: commission 6000, no spiff.
    spiffs = [{"id": "big", "opportunity_type": "New Business", "min_amount": 50000, "amount": 500}]
    root = exports(
        tmp_path,
        users=[user("U1", "1"), user("U2", "2")],
        opps=[
            opp("O1", "U1", "50000.00", "2026-06-01"),
            opp("O2", "U1", "49999.99", "2026-06-02"),
            opp("O3", "U1", "80000", "2026-06-03", type_="Renewal"),
            opp("O4", "U1", "60000", "2026-06-04"),
            opp("O5", "U1", "70000", "2026-06-05", won=False),
        ],
        splits=[split("S1", "O4", "U2", "100")],
        employees=[employee("1", "2020-01-01"), employee("2", "2020-01-01")],
        quotas=[("1", "FY2026-Q2", "300000"), ("2", "FY2026-Q2", "300000")],
        plans=[plan("ae", "quarter", FLAT_10, spiffs=spiffs)],
        assignments=[assignment("1", "ae", "2026-01-01"), assignment("2", "ae", "2026-01-01")],
    )
    statements, lines = compute(root, dt.date(2026, 6, 30))
    q2 = dt.date(2026, 4, 1)
    assert figures(statements[("1", "ae", q2)])[3:7] == (D("18000.00"), D("1000.00"), 0, D("19000.00"))
    assert figures(statements[("2", "ae", q2)])[3:7] == (D("6000.00"), 0, 0, D("6000.00"))
    assert lines_of(lines, "1", line_type="spiff") == [
        ("O1", None, None, None, None, D("500.00")),
        ("O4", None, None, None, None, D("500.00")),
    ]


def test_clawback_lands_in_the_next_period(tmp_path):
    # Quarterly quota 100000, 10 % flat, clawback_days 90, SPIFF 250 on New Business.
    #   O1 40000 closed 2026-03-20, subscription canceled 2026-04-10 23:30 UTC (21 days) -> clawed back in Q2.
    #     A second subscription of O1 canceled later (2026-05-01) does not count: the earliest does.
    #   O2 10000 closed 2026-01-05, canceled 2026-04-10 (95 days) -> no clawback.
    #   O3 20000 closed 2026-06-01, canceled 2026-07-05 -> after the as-of date (2026-06-30): not yet.
    # Q1: credited 50000, attainment 0.5, commission 5000, spiffs 500 (O1, O2) -> earned 5500; unchanged.
    # Q2: commission 2000 (O3) + spiff 250 (O3); clawbacks -(4000 + 250) = -4250 -> earned -2000, no draw: payout -2000.
    spiffs = [{"id": "nb", "opportunity_type": "New Business", "amount": 250}]
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[
            opp("O1", "U1", "40000", "2026-03-20"),
            opp("O2", "U1", "10000", "2026-01-05"),
            opp("O3", "U1", "20000", "2026-06-01"),
        ],
        employees=[employee("1", "2020-01-01")],
        quotas=[("1", "FY2026-Q1", "100000"), ("1", "FY2026-Q2", "100000")],
        plans=[plan("ae", "quarter", FLAT_10, clawback_days=90, spiffs=spiffs)],
        assignments=[assignment("1", "ae", "2026-01-01")],
        subs=[
            sub("sub_1", "O1", epoch(2026, 4, 10, 23, 30)),
            sub("sub_1b", "O1", epoch(2026, 5, 1)),
            sub("sub_2", "O2", epoch(2026, 4, 10)),
            sub("sub_3", "O3", epoch(2026, 7, 5)),
        ],
    )
    statements, lines = compute(root, dt.date(2026, 6, 30))
    q1, q2 = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
    assert figures(statements[("1", "ae", q1)]) == (
        D("100000.00"),
        D("50000.00"),
        D("0.500000"),
        D("5000.00"),
        D("500.00"),
        0,
        D("5500.00"),
        0,
        0,
        D("5500.00"),
    )
    assert figures(statements[("1", "ae", q2)]) == (
        D("100000.00"),
        D("20000.00"),
        D("0.200000"),
        D("2000.00"),
        D("250.00"),
        D("-4250.00"),
        D("-2000.00"),
        0,
        0,
        D("-2000.00"),
    )
    assert lines_of(lines, "1", q2, "clawback") == [
        ("O1", D("-40000.00"), D("0.0"), None, D("0.1"), D("-4000.00")),
        ("O1", None, None, None, None, D("-250.00")),
    ]


def test_clawback_after_the_assignment_creates_a_statement(tmp_path):
    # Monthly plan, assignment ends 2026-03-31; deal 10000 on 2026-03-25, canceled 2026-04-02.
    # The April statement is created for the clawback: quota 0 (no month overlaps an assignment), attainment
    # null, clawbacks -1000, payout -1000 (no draw).
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "10000", "2026-03-25")],
        employees=[employee("1", "2020-01-01", "2026-03-31")],
        quotas=[("1", "2026-03", "20000")],
        plans=[plan("m", "month", FLAT_10, clawback_days=30)],
        assignments=[assignment("1", "m", "2026-03-01", "2026-03-31")],
        subs=[sub("sub_1", "O1", epoch(2026, 4, 2))],
    )
    statements = compute_statements(root, dt.date(2026, 5, 31))
    assert sorted(statements) == [("1", "m", dt.date(2026, 3, 1)), ("1", "m", dt.date(2026, 4, 1))]
    assert figures(statements[("1", "m", dt.date(2026, 4, 1))]) == (
        0,
        0,
        None,
        0,
        0,
        D("-1000.00"),
        D("-1000.00"),
        0,
        0,
        D("-1000.00"),
    )


def test_recoverable_draw_over_three_periods(tmp_path):
    # Monthly plan, 10 % flat, draw 1000 recoverable.
    #   Jan: earned 300 (deal 3000); available 300 - 0 = 300 < 1000 -> payout 1000, draw_paid 1000, balance 700
    #   Feb: earned 1500; available 1500 - 700 = 800 < 1000 -> payout 1000, draw_paid 1000, balance 200
    #   Mar: earned 2500; available 2500 - 200 = 2300 >= 1000 -> payout 2300, draw_paid 0, balance 0
    # Draw lines (payout - earned): +700, -500, -200.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[
            opp("O1", "U1", "3000", "2026-01-15"),
            opp("O2", "U1", "15000", "2026-02-15"),
            opp("O3", "U1", "25000", "2026-03-15"),
        ],
        employees=[employee("1", "2020-01-01")],
        quotas=[("1", f"2026-0{m}", "10000") for m in (1, 2, 3)],
        plans=[plan("m", "month", FLAT_10, draw={"amount": 1000, "recoverable": True})],
        assignments=[assignment("1", "m", "2026-01-01")],
    )
    statements, lines = compute(root, dt.date(2026, 3, 31))
    got = [figures(statements[("1", "m", dt.date(2026, m, 1))])[6:] for m in (1, 2, 3)]
    assert got == [
        (D("300.00"), D("1000.00"), D("700.00"), D("1000.00")),
        (D("1500.00"), D("1000.00"), D("200.00"), D("1000.00")),
        (D("2500.00"), 0, 0, D("2300.00")),
    ]
    assert [line.amount for line in lines if line.line_type == "draw"] == [D("700.00"), D("-500.00"), D("-200.00")]


def test_non_recoverable_draw(tmp_path):
    # Monthly plan, 10 % flat, clawback_days 60, draw 1000 not recoverable.
    #   Jan: earned 300 < 1000 -> payout 1000, draw_paid 1000, balance 0 (draw line +700)
    #   Feb: earned 1500 >= 1000 -> payout 1500, draw_paid 0 (no draw line)
    #   Mar: the Feb deal's subscription is canceled on 03-10: earned -1500 < 1000 -> payout 1000, draw_paid 1000
    #        (draw line +2500); nothing carried.
    # The HR report comes as .xlsx here.
    root = exports(
        tmp_path,
        users=[user("U1", "1")],
        opps=[opp("O1", "U1", "3000", "2026-01-15"), opp("O2", "U1", "15000", "2026-02-15")],
        employees=[employee("1", "2020-01-01")],
        employees_xlsx=True,
        quotas=[("1", f"2026-0{m}", "10000") for m in (1, 2, 3)],
        plans=[plan("m", "month", FLAT_10, clawback_days=60, draw={"amount": 1000, "recoverable": False})],
        assignments=[assignment("1", "m", "2026-01-01")],
        subs=[sub("sub_2", "O2", epoch(2026, 3, 10))],
    )
    statements, lines = compute(root, dt.date(2026, 3, 31))
    got = [figures(statements[("1", "m", dt.date(2026, m, 1))])[5:] for m in (1, 2, 3)]
    assert got == [
        (0, D("300.00"), D("1000.00"), 0, D("1000.00")),
        (0, D("1500.00"), 0, 0, D("1500.00")),
        (D("-1500.00"), D("-1500.00"), D("1000.00"), 0, D("1000.00")),
    ]
    assert [(line.period_start.month, line.amount) for line in lines if line.line_type == "draw"] == [
        (1, D("700.00")),
        (3, D("2500.00")),
    ]
    assert statements[("1", "m", dt.date(2026, 1, 1))].effective_quota == D("10000.00")  # the xlsx was read


# ---------------------------------------------------------------------------- the demo folder
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from demo_exports.generator import (
        generate_exports,  # the test may use the generator; the oracle never does
    )

    out = tmp_path_factory.mktemp("oracle-demo")
    generate_exports(out, scale=0.3, as_of=dt.date(2026, 11, 26))
    return compute(out, dt.date(2026, 11, 26))


def test_demo_invariants(demo):
    statements, lines = demo
    assert statements and lines
    by_statement = defaultdict(list)
    for line in lines:
        if line.line_type != "uncredited":
            by_statement[(line.employee_number, line.plan_id, line.period_start)].append(line)
    assert set(by_statement) <= set(statements)
    for key, s in statements.items():
        mine = by_statement[key]
        assert key[2] <= dt.date(2026, 11, 26)
        assert sum((line.amount for line in mine), D(0)) == s.payout, key
        commission = [line for line in mine if line.line_type == "commission"]
        assert sum((line.credited_amount for line in commission), D(0)) == s.credited_bookings, key
        assert sum((line.amount for line in mine if line.line_type == "commission"), D(0)) == s.commission, key
        assert sum((line.amount for line in mine if line.line_type == "spiff"), D(0)) == s.spiffs, key
        assert sum((line.amount for line in mine if line.line_type == "clawback"), D(0)) == s.clawbacks <= 0, key
        assert s.earned == s.commission + s.spiffs + s.clawbacks
        assert len([line for line in mine if line.line_type == "draw"]) == (s.payout != s.earned)
        assert (s.attainment is None) == (s.effective_quota == 0)

    plans = {
        "ae_2026": (D(6000), True),
        "ae_2025": (D(5000), True),
        "sdr_2026": (D(1000), False),
        "sdr_2025": (None, False),
    }
    balance = defaultdict(lambda: D(0))
    for key in sorted(statements):
        s = statements[key]
        draw, recoverable = plans[key[1]] if s.is_assigned else (None, False)
        if draw is None:
            assert (s.payout, s.draw_paid, s.draw_balance) == (s.earned, 0, balance[key[:2]])
        elif not recoverable:
            assert s.draw_balance == 0
            assert (s.payout, s.draw_paid) == ((draw, draw) if s.earned < draw else (s.earned, 0))
        else:
            available = s.earned - balance[key[:2]]
            if available >= draw:
                assert (s.payout, s.draw_paid, s.draw_balance) == (available, 0, 0), key
            else:
                assert (s.payout, s.draw_paid, s.draw_balance) == (draw, draw, draw - available), key
            balance[key[:2]] = s.draw_balance

    kinds = {line.line_type for line in lines}
    assert {"commission", "spiff", "clawback", "draw"} <= kinds
