"""Reporting lines and fiscal periods of the reports, on hand-made hierarchies."""

import datetime as dt

import pytest

from publishing.reports.data import FiscalCalendar
from publishing.reports.scope import Hierarchy, Person


def person(number: str, manager: str | None, name: str | None = None) -> Person:
    return Person(number, name or f"Person {number}", "Rep", manager, dt.date(2025, 1, 1), None, True)


# VP 1 -> directors 2, 3; 2 -> managers 4, 5; 4 -> reps 6, 7; 3 -> rep 8. 9 reports to someone outside sales.
COMPANY = [
    person("1", None),
    person("2", "1"),
    person("3", "1"),
    person("4", "2"),
    person("5", "2"),
    person("6", "4"),
    person("7", "4"),
    person("8", "3"),
    person("9", "99"),
]


def test_a_line_holds_everyone_below_at_any_depth_with_their_depth():
    hierarchy = Hierarchy(COMPANY)
    assert dict(hierarchy.line_below("2")) == {"4": 1, "5": 1, "6": 2, "7": 2}
    assert dict(hierarchy.line_below("1")) == {"2": 1, "3": 1, "4": 2, "5": 2, "6": 3, "7": 3, "8": 2}
    assert hierarchy.line_below("6") == []


def test_managers_are_the_people_with_direct_reports():
    assert sorted(Hierarchy(COMPANY).managers) == ["1", "2", "3", "4"]


def test_the_head_of_sales_is_the_single_top_with_reports_or_the_setting():
    hierarchy = Hierarchy(COMPANY)
    assert hierarchy.roots == ["1", "9"]  # 9's manager is not in sales
    assert hierarchy.head_of_sales(None) == "1"  # 9 has no reports: not a head
    assert hierarchy.head_of_sales("9") == "9"  # a top of the hierarchy may be named
    with pytest.raises(ValueError, match="SALESOPS_HEAD_OF_SALES=42: no person in sales"):
        hierarchy.head_of_sales("42")
    # The company report shows everyone's pay: a director (3 reports to 1) may not receive it.
    with pytest.raises(ValueError, match="SALESOPS_HEAD_OF_SALES=3: Person 3 reports to 1 in HR"):
        hierarchy.head_of_sales("3")


def test_two_tops_with_reports_leave_the_company_report_without_a_recipient():
    hierarchy = Hierarchy([*COMPANY, person("10", None), person("11", "10")])
    assert hierarchy.head_of_sales(None) is None


def test_a_cycle_in_supervisor_eid_ends_the_line_instead_of_looping():
    hierarchy = Hierarchy([person("1", "3"), person("2", "1"), person("3", "2")])
    assert dict(hierarchy.line_below("1")) == {"2": 1, "3": 2}


@pytest.mark.parametrize(
    ("start_month", "day", "quarter_start", "label", "year_start"),
    [
        (1, dt.date(2026, 11, 26), dt.date(2026, 10, 1), "FY2026 Q4", dt.date(2026, 1, 1)),
        (2, dt.date(2026, 1, 15), dt.date(2025, 11, 1), "FY2026 Q4", dt.date(2025, 2, 1)),
        (2, dt.date(2026, 2, 1), dt.date(2026, 2, 1), "FY2027 Q1", dt.date(2026, 2, 1)),
        (10, dt.date(2026, 9, 30), dt.date(2026, 7, 1), "FY2026 Q4", dt.date(2025, 10, 1)),
    ],
)
def test_fiscal_quarters_are_named_by_the_year_they_end(start_month, day, quarter_start, label, year_start):
    calendar = FiscalCalendar(start_month)
    assert calendar.quarter_start(day) == quarter_start
    assert calendar.quarter_label(calendar.quarter_start(day)) == label
    assert calendar.year_start(day) == year_start
