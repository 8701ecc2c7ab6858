"""`salesops run` on generated exports, checked against figures computed here from the files.

The expected values are derived in plain Python from the export files (the
systems' formats, delivery order, IsDeleted), never from the models.
"""

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.conftest import employees, published, read_csv, run_pipeline_once, run_salesops, upserted

AS_OF = dt.date(2026, 11, 26)
D1, D2 = "2026-11-25", "2026-11-26"


def current_records(exports: Path, source: str, filename: str, key: str) -> dict[str, dict]:
    """Records by id after every delivery in order, Salesforce deletions (IsDeleted) dropped."""
    return {
        k: row for k, row in upserted(exports, source, filename, key).items() if row.get("IsDeleted", "false") != "true"
    }


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(demo_run):
    """The shared demo run's exports and data dir (tests/conftest.py)."""
    return demo_run.exports, demo_run.data_dir


@pytest.fixture(scope="module")
def first_run(demo_run):
    return demo_run.exit_code, demo_run.output


def test_run_publishes_opportunities_matching_the_exports(demo, first_run):
    exports, data_dir = demo
    code, output = first_run
    assert code == 0, output
    assert "checks:" in output and " 0 failed" in output and "marts.fct_opportunities" in output

    opportunities = current_records(exports, "crm", "Opportunity.csv", "Id")
    first_delivery = {row["Id"]: row for row in read_csv(exports / "crm" / D1 / "Opportunity.csv")}
    second_delivery = read_csv(exports / "crm" / D2 / "Opportunity.csv")
    deleted_in_d2 = {row["Id"] for row in second_delivery if row["IsDeleted"] == "true"}
    updated_in_d2 = {
        row["Id"]
        for row in second_delivery
        if row["IsDeleted"] == "false"
        and row["Id"] in first_delivery
        and row["StageName"] != first_delivery[row["Id"]]["StageName"]
    }
    assert deleted_in_d2 and updated_in_d2  # the data really exercises deletions and updates

    won = [row for row in opportunities.values() if row["IsWon"] == "true"]
    lost = [row for row in opportunities.values() if row["IsClosed"] == "true" and row["IsWon"] == "false"]
    open_ = [row for row in opportunities.values() if row["IsClosed"] == "false"]
    won_amount = sum(Decimal(row["Amount"]) for row in won)

    figures = published(
        data_dir,
        """
        select count(*), count(*) filter (where not is_closed), count(*) filter (where is_won),
               count(*) filter (where is_closed and not is_won), sum(amount) filter (where is_won)
        from marts.fct_opportunities""",
    )[0]
    assert figures == (len(opportunities), len(open_), len(won), len(lost), won_amount)

    ids = {row[0] for row in published(data_dir, "select opportunity_id from marts.fct_opportunities")}
    assert ids == set(opportunities) and not ids & deleted_in_d2
    stages = dict(published(data_dir, "select opportunity_id, stage_name from marts.fct_opportunities"))
    assert all(stages[i] == opportunities[i]["StageName"] for i in updated_in_d2)  # D2 wins over D1

    # Derived columns: probability as a fraction, weighted amount, sales cycle, owner's employee number.
    users = {row["Id"]: row["EmployeeNumber"] or None for row in read_csv(exports / "crm" / D1 / "User.csv")}
    expected = {}
    for i, row in opportunities.items():
        amount = Decimal(row["Amount"]) if row["Amount"] else None
        probability = Decimal(row["Probability"]) / 100
        created = dt.date.fromisoformat(row["CreatedDate"][:10])
        close = dt.date.fromisoformat(row["CloseDate"])
        closed = row["IsClosed"] == "true"
        expected[i] = (
            users[row["OwnerId"]],
            probability,
            None if amount is None else (amount * probability).quantize(Decimal("0.01"), ROUND_HALF_UP),
            (close - created).days if closed else None,
            (close - created).days if closed else (AS_OF - created).days,
        )
    actual = {
        row[0]: row[1:]
        for row in published(
            data_dir,
            """
        select opportunity_id, owner_employee_number, probability, weighted_amount, sales_cycle_days, days_open
        from marts.fct_opportunities""",
        )
    }
    assert actual == expected


def test_run_publishes_sales_reps_from_hr_and_crm(demo, first_run):
    exports, data_dir = demo
    assert first_run[0] == 0
    people = employees(exports)
    linked = {
        row["EmployeeNumber"]: row["Id"] for row in read_csv(exports / "crm" / D1 / "User.csv") if row["EmployeeNumber"]
    }
    in_sales = {n: row for n, row in people.items() if row["Department"] == "Sales" or n in linked}

    def tenure(row):
        hire = dt.date.fromisoformat(row["Hire Date"])
        end = AS_OF
        if row["Termination Date"] and dt.date.fromisoformat(row["Termination Date"]) < AS_OF:
            end = dt.date.fromisoformat(row["Termination Date"])
        return max(0, (end.year - hire.year) * 12 + end.month - hire.month - (end.day < hire.day))

    expected = {
        n: (
            linked.get(n),
            f"{row['First Name']} {row['Last Name']}",
            f"{people[row['Supervisor EID']]['First Name']} {people[row['Supervisor EID']]['Last Name']}"
            if row["Supervisor EID"]
            else None,
            row["Employment Status"] != "Terminated"
            and (not row["Termination Date"] or dt.date.fromisoformat(row["Termination Date"]) > AS_OF),
            tenure(row),
        )
        for n, row in in_sales.items()
    }
    actual = {
        row[0]: row[1:]
        for row in published(
            data_dir,
            "select employee_number, crm_user_id, name, team, is_active, tenure_months from marts.dim_sales_reps",
        )
    }
    assert actual == expected
    assert any(not values[3] for values in expected.values())  # someone left: is_active is exercised
    columns = {row[0] for row in published(data_dir, "describe marts.dim_sales_reps")}
    assert not {"pay_rate", "work_email", "variable_pay_target"} & columns  # no pay, no personal email


def test_the_terminal_shows_one_line_per_phase_and_the_log_file_the_rest(demo, first_run):
    exports, data_dir = demo
    code, output = first_run
    assert code == 0, output
    phases = [line.split()[1] for line in output.splitlines() if re.match(r"\s+\d+\.\ds  ", line)]
    assert phases == ["start-up", "ingest", "dbt", "publish", "reports", "checks"]
    ingest = next(line for line in output.splitlines() if re.match(r"\s+\d+\.\ds  ingest ", line))
    files = [path for path in exports.rglob("*") if path.suffix in (".csv", ".json", ".xlsx", ".yaml")]
    # Every delivery is new to this data dir: each CSV row (a header line apiece) lands once.
    csv_rows = sum(len(read_csv(path)) for path in files if path.suffix == ".csv")
    landed = int(re.search(r"([\d,]+) rows landed", ingest).group(1).replace(",", ""))
    assert landed >= csv_rows
    assert "START sql" not in output and "Done. PASS=" not in output  # dbt's own log is not on the terminal
    log = Path(re.search(r"Log:\s+(\S+)", output).group(1))
    assert log.parent.parent == data_dir / "runs"
    text = log.read_text(encoding="utf-8")
    assert "Completed successfully" in text and "STEP_SUCCESS" in text  # dbt's log and Dagster's events
    assert "dbt built in the warm dbt process, with the project parsed while the exports were ingested" in text


def test_the_first_run_in_a_new_data_dir_starts_from_the_projects_dbt_parse(demo, first_run):
    """dbt renders no data-dir path (it runs in <data dir>/dbt), so the project's parse state serves a new data dir."""
    _, data_dir = demo
    assert first_run[0] == 0, first_run[1]
    log = (data_dir / "dbt-target" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in log
    # The parse (the warm dbt's, while the exports were ingested) read every file from the seeded parse state.
    parse = json.loads((data_dir / "dbt-target" / "perf_info.json").read_text(encoding="utf-8"))
    assert parse["is_partial_parse_enabled"] and parse["path_count"] > 0
    assert parse["parsed_path_count"] == 0
    profile = (data_dir / "dbt" / "profiles.yml").resolve()
    assert profile == Path(__file__).parents[1] / "dbt_project" / "profiles.yml"


def test_rerunning_the_same_deliveries_changes_nothing(demo, first_run, capsys):
    exports, data_dir = demo
    assert first_run[0] == 0
    lake = data_dir / "lake" / "raw"

    def landed_files() -> dict[Path, tuple[int, bytes]]:
        """Every delivered Parquet file and manifest of the lake, with its modification time and bytes."""
        return {
            path: (path.stat().st_mtime_ns, path.read_bytes())
            for path in lake.rglob("*")
            if path.is_file() and path.parent.name.startswith("delivery=")
        }

    landed = landed_files()
    assert any(path.suffix == ".parquet" for path in landed) and any(path.name == "_manifest.json" for path in landed)
    before = {
        t: published(data_dir, f"select * from marts.{t} order by all") for t in ("fct_opportunities", "dim_sales_reps")
    }
    published_file = data_dir / "warehouse" / "salesops.duckdb"
    digest = file_digest(published_file)
    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 0, output
    assert "nothing new: the exports, the code and the settings are those of run" in output
    assert "checks:" not in output  # nothing was built or checked
    assert file_digest(published_file) == digest

    code, output = run_salesops(exports, data_dir, capsys, "--full-refresh")
    assert code == 0, output
    assert "nothing new" not in output and "checks:" in output
    assert landed_files() == landed  # no delivery landed again, none was rewritten
    after = {t: published(data_dir, f"select * from marts.{t} order by all") for t in before}
    assert after == before


def _copy(demo, tmp_path):
    exports, data_dir = demo
    shutil.copytree(exports, tmp_path / "exports")
    shutil.copytree(data_dir, tmp_path / "data", symlinks=True)
    return tmp_path / "exports", tmp_path / "data"


def _write_delivery(exports: Path, delivery: str, rows: list[dict], drop_column: str | None = None) -> Path:
    header = [c for c in rows[0] if c != drop_column]
    path = exports / "crm" / delivery / "Opportunity.csv"
    path.parent.mkdir(parents=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_file_missing_a_required_column_fails_and_changes_nothing(demo, first_run, tmp_path, capsys):
    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    published_file = data_dir / "warehouse" / "salesops.duckdb"
    digest, rows = (
        file_digest(published_file),
        published(data_dir, "select * from marts.fct_opportunities order by all"),
    )
    some = list(current_records(exports, "crm", "Opportunity.csv", "Id").values())[:3]
    _write_delivery(exports, "2026-11-27", some, drop_column="StageName")

    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 1
    assert "crm/2026-11-27/Opportunity.csv" in output and "'StageName'" in output and "nothing was published" in output
    assert file_digest(published_file) == digest
    assert published(data_dir, "select * from marts.fct_opportunities order by all") == rows
    assert not (data_dir / "lake" / "raw" / "crm" / "opportunity" / "delivery=2026-11-27").exists()


def test_an_unknown_stage_blocks_the_run_naming_the_stage(demo, first_run, tmp_path, capsys):
    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    digest = file_digest(data_dir / "warehouse" / "salesops.duckdb")
    first = next(iter(current_records(exports, "crm", "Opportunity.csv", "Id").values()))
    row = dict(first, StageName="Demo Scheduled")
    _write_delivery(exports, "2026-11-27", [row])

    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 1
    assert "raw/crm/opportunity raw_batch_valid" in output and "'Demo Scheduled'" in output and "line 2" in output
    not_run = next(
        line for line in output.splitlines() if "not run (an upstream step or blocking check failed)" in line
    )
    assert set(not_run.split(": ", 1)[1].split(", ")) == {
        "salesops_dbt_models",
        "published__salesops_duckdb",
        "published__report_pack",
        "published__salesops_duckdb_open_deals_have_amounts",  # the warning check of the publication
        "raw__crm__opportunity_source_fresh",  # the freshness check of the asset that failed
        "raw__crm__opportunity_crm_references_resolve",  # the reference warnings on the asset that failed
    }
    assert file_digest(data_dir / "warehouse" / "salesops.duckdb") == digest


def test_a_reader_holding_the_published_file_does_not_block_a_run(demo, first_run, tmp_path, capsys):
    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    won_before = published(data_dir, "select count(*) from marts.fct_opportunities where is_won")[0][0]
    open_deal = next(
        row for row in current_records(exports, "crm", "Opportunity.csv", "Id").values() if row["IsClosed"] == "false"
    )
    _write_delivery(
        exports,
        "2026-11-27",
        [
            dict(
                open_deal,
                StageName="Closed Won",
                IsClosed="true",
                IsWon="true",
                Probability="100",
                ForecastCategoryName="Closed",
                CloseDate="2026-11-27",
            )
        ],
    )
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(data_dir / "warehouse" / "salesops.duckdb")!r}, read_only=True)
            query = 'select count(*) from marts.fct_opportunities where is_won'
            print(con.execute(query).fetchone()[0], flush=True)
            sys.stdin.readline()
            print(con.execute(query).fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert int(reader.stdout.readline()) == won_before
        code, output = run_salesops(exports, data_dir, capsys)  # while the reader holds the file open
        assert code == 0, output
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == won_before  # the reader keeps its consistent view
    finally:
        reader.communicate(timeout=60)
    assert published(data_dir, "select count(*) from marts.fct_opportunities where is_won")[0][0] == won_before + 1


def test_commission_statements_match_an_independent_computation(demo, first_run):
    """Every statement and line, to the cent, against tests/commission_oracle.py (plain Python from the exports)."""
    from tests.commission_oracle import compute

    exports, data_dir = demo
    assert first_run[0] == 0
    expected_statements, expected_lines = compute(exports, AS_OF)
    columns = (
        "effective_quota, credited_bookings, attainment, commission, spiffs, clawbacks, earned, "
        "draw_paid, draw_balance, payout, is_assigned"
    )
    actual = {
        row[:3]: row[3:]
        for row in published(
            data_dir, f"select employee_number, plan_id, period_start, {columns} from marts.fct_commission_statements"
        )
    }
    expected = {
        key: tuple(getattr(statement, name.strip()) for name in columns.split(","))
        for key, statement in expected_statements.items()
    }
    assert len(expected) > 20 and any(s.draw_paid for s in expected_statements.values())
    assert actual == expected

    line_columns = (
        "employee_number, plan_id, period_start, line_type, opportunity_id, credited_amount, "
        "band_from, band_to, rate, amount"
    )
    actual_lines = Counter(published(data_dir, f"select {line_columns} from marts.fct_commission_lines"))
    expected_lines = Counter(
        tuple(getattr(line, name.strip()) for name in line_columns.split(",")) for line in expected_lines
    )
    assert actual_lines == expected_lines


def test_changing_plan_rates_in_the_yaml_changes_the_payouts(demo, first_run, tmp_path, capsys):
    """A new comp_plans.yaml (replacing the earlier one whole) with doubled rates: no code change, new payouts."""
    import yaml

    from tests.commission_oracle import compute_statements

    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    before = dict(
        published(data_dir, "select plan_id, sum(commission) from marts.fct_commission_statements group by 1")
    )
    plans = yaml.safe_load((exports / "planning" / D1 / "comp_plans.yaml").read_text())
    for plan in plans["plans"]:
        for tier in plan["tiers"]:
            tier["rate"] = tier["rate"] * 2
    delivery = exports / "planning" / "2026-11-27"
    delivery.mkdir()
    (delivery / "comp_plans.yaml").write_text(yaml.safe_dump(plans, sort_keys=False))

    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 0, output
    after = dict(published(data_dir, "select plan_id, sum(commission) from marts.fct_commission_statements group by 1"))
    for plan_id, commission in before.items():
        if commission:
            assert after[plan_id] > commission * Decimal("1.9")
    expected = compute_statements(exports, dt.date(2026, 11, 27))  # the new delivery moves the as-of date
    actual = {
        row[:3]: row[3:]
        for row in published(
            data_dir,
            "select employee_number, plan_id, period_start, commission, payout from marts.fct_commission_statements",
        )
    }
    assert actual == {key: (s.commission, s.payout) for key, s in expected.items()}


def test_invalid_plans_and_quotas_for_unknown_people_block_the_run_naming_the_line(demo, first_run, tmp_path, capsys):
    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    digest = file_digest(data_dir / "warehouse" / "salesops.duckdb")
    delivery = exports / "planning" / "2026-11-27"
    delivery.mkdir()
    (delivery / "comp_plans.yaml").write_text(
        "plans:\n"
        "  - id: ae\n"
        "    period: quarter\n"
        "    measure: bookings\n"
        "    tiers:\n"
        "      - {from: 0.0, to: 1.0, rate: 0.10}\n"
        "      - {from: 1.2, to: null, rate: 0.15}\n"
        "assignments: []\n"
    )
    (delivery / "quotas.csv").write_text(
        "employee_number,period,quota_amount\n1001,FY2027-Q1,100000\n9999,FY2027-Q1,50000\n"
    )

    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 1
    assert "planning/2026-11-27/comp_plans.yaml line 7" in output  # the band that leaves a gap
    assert "quota_holders_known" in output and "planning/2026-11-27/quotas.csv line 3" in output and "'9999'" in output
    assert file_digest(data_dir / "warehouse" / "salesops.duckdb") == digest
    assert not (data_dir / "lake" / "raw" / "planning" / "comp_plan" / "delivery=2026-11-27").exists()


def test_team_attainment_rolls_up_the_whole_reporting_line(demo, first_run):
    """rpt_team_attainment against the oracle's statements summed over each manager's reports at any depth."""
    from tests.commission_oracle import compute_statements

    exports, data_dir = demo
    assert first_run[0] == 0
    people = employees(exports)
    reports: dict[str, set[str]] = {}
    for number, row in people.items():
        boss = row["Supervisor EID"] or None
        while boss:  # every manager above this person, at any depth
            reports.setdefault(boss, {boss}).add(number)
            boss = people[boss]["Supervisor EID"] or None
    assert any(len(team) > 3 for team in reports.values())

    totals: dict[tuple[str, dt.date], list] = {}
    for (number, _plan, period_start), statement in compute_statements(exports, AS_OF).items():
        quarter = dt.date(period_start.year, (period_start.month - 1) // 3 * 3 + 1, 1)  # fiscal year = calendar year
        for manager, team in reports.items():
            if number in team:
                entry = totals.setdefault((manager, quarter), [set(), Decimal(0), Decimal(0)])
                entry[0].add(number)
                entry[1] += statement.effective_quota
                entry[2] += statement.credited_bookings
    expected = {key: (len(who), quota, booked) for key, (who, quota, booked) in totals.items()}
    actual = {
        row[:2]: row[2:]
        for row in published(
            data_dir,
            """
        select manager_employee_number, quarter_start, people_with_statements, effective_quota, credited_bookings
        from marts.rpt_team_attainment""",
        )
    }
    assert actual == expected


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def test_company_pipeline_kpis_match_the_exports(demo, first_run):
    exports, data_dir = demo
    assert first_run[0] == 0
    opportunities = current_records(exports, "crm", "Opportunity.csv", "Id").values()
    leads = current_records(exports, "crm", "Lead.csv", "Id").values()
    actual = {
        (row[0], row[1]): row[2]
        for row in published(data_dir, "select month, kpi, value from marts.kpi_monthly where scope_type = 'company'")
    }
    months = sorted({month for month, _ in actual})
    assert months[0] <= min(_month(dt.date.fromisoformat(o["CreatedDate"][:10])) for o in opportunities)
    assert months[-1] == _month(AS_OF)

    for month in months:
        closed = [
            o
            for o in opportunities
            if o["IsClosed"] == "true" and _month(dt.date.fromisoformat(o["CloseDate"])) == month
        ]
        won = [o for o in closed if o["IsWon"] == "true"]
        created = [o for o in opportunities if _month(dt.date.fromisoformat(o["CreatedDate"][:10])) == month]
        new_leads = [lead for lead in leads if _month(dt.date.fromisoformat(lead["CreatedDate"][:10])) == month]
        bookings = sum(Decimal(o["Amount"] or 0) for o in won)
        cycles = [
            (dt.date.fromisoformat(o["CloseDate"]) - dt.date.fromisoformat(o["CreatedDate"][:10])).days for o in won
        ]
        expected = {
            "bookings": float(bookings),
            "won_deals": len(won),
            "lost_deals": len(closed) - len(won),
            "win_rate": len(won) / len(closed) if closed else None,
            "avg_deal_size": float(bookings) / len(won) if won else None,
            "sales_cycle_days": sum(cycles) / len(cycles) if cycles else None,
            "pipeline_created": float(sum(Decimal(o["Amount"] or 0) for o in created)),
            "lead_conversion_rate": (
                sum(lead["IsConverted"] == "true" for lead in new_leads) / len(new_leads) if new_leads else None
            ),
        }
        for kpi, value in expected.items():
            assert actual[(month, kpi)] == (pytest.approx(value) if value is not None else None), (month, kpi)


def test_pipeline_snapshot_of_the_as_of_date_matches_the_history_export(demo, first_run):
    """The open pipeline on the as-of date, rebuilt here from OpportunityHistory.csv (last change per deal)."""
    exports, data_dir = demo
    assert first_run[0] == 0
    deleted = {
        row["Id"]
        for delivery in sorted((exports / "crm").iterdir())
        for row in read_csv(delivery / "Opportunity.csv")
        if row["IsDeleted"] == "true"
    }
    last_change: dict[str, dict] = {}
    for delivery in sorted((exports / "crm").iterdir()):
        for row in read_csv(delivery / "OpportunityHistory.csv"):
            current = last_change.get(row["OpportunityId"])
            if current is None or (row["CreatedDate"], row["Id"]) >= (current["CreatedDate"], current["Id"]):
                last_change[row["OpportunityId"]] = row
    expected = {
        opportunity: (
            row["StageName"],
            Decimal(row["Amount"]) if row["Amount"] else None,
            dt.date.fromisoformat(row["CloseDate"]),
        )
        for opportunity, row in last_change.items()
        if not row["StageName"].startswith("Closed") and opportunity not in deleted
    }
    actual = {
        row[0]: row[1:]
        for row in published(
            data_dir,
            f"""
        select opportunity_id, stage_name, amount, close_date from marts.fct_pipeline_snapshots
        where snapshot_date = date '{AS_OF}'""",
        )
    }
    assert len(expected) > 20 and actual == expected


def test_a_run_with_one_more_day_of_history_adds_only_that_day(demo, tmp_path, capsys):
    exports, _ = demo
    first_day_only = tmp_path / "exports"
    shutil.copytree(exports, first_day_only, ignore=lambda folder, names: [n for n in names if n == D2])
    data_dir = tmp_path / "data"
    code, output = run_salesops(first_day_only, data_dir, capsys)
    assert code == 0, output
    before = published(data_dir, "select * from marts.fct_pipeline_snapshots order by all")
    assert {row[-1] for row in before} == {D1} and max(row[0] for row in before) == dt.date(2026, 11, 25)

    for source in ("crm", "billing", "hr"):
        shutil.copytree(exports / source / D2, first_day_only / source / D2)
    code, output = run_salesops(first_day_only, data_dir, capsys)
    assert code == 0, output
    after = published(data_dir, "select * from marts.fct_pipeline_snapshots order by all")
    assert [row for row in after if row[0] < AS_OF] == before  # earlier days untouched
    new_day = [row for row in after if row[0] == AS_OF]
    assert new_day and {row[-1] for row in new_day} == {D2}  # written by the second run


@pytest.fixture(scope="module")
def next_night(demo, first_run, tmp_path_factory):
    """The demo's data dir after the next night's 1 % delivery (demo_exports.generate_next_delivery), run on it."""
    from demo_exports import generate_next_delivery

    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path_factory.mktemp("next-night"))
    files = generate_next_delivery(exports, 0.01)
    return exports, data_dir, files, *run_pipeline_once(exports, data_dir)


def test_the_next_nights_one_percent_delivery_lands_alone_and_moves_its_deals(demo, next_night):
    """The benchmark's incremental delivery (demo_exports.generate_next_delivery) is a valid delivery."""
    _, data_dir, files, code, output = next_night
    delivered = {path.name: read_csv(path) for path in files}
    opportunities = delivered["Opportunity.csv"]
    live = current_records(demo[0], "crm", "Opportunity.csv", "Id")
    assert len(opportunities) == round(len(live) * 0.01) + round(len(live) * 0.01) // 2
    assert {row["OpportunityId"] for row in delivered["OpportunityHistory.csv"]} == {r["Id"] for r in opportunities}

    assert code == 0, output
    landed = re.search(r"([\d,]+) rows landed", output).group(1)
    assert int(landed.replace(",", "")) == sum(len(rows) for rows in delivered.values())  # only the new files land
    stages = dict(published(data_dir, "select opportunity_id, stage_name from marts.fct_opportunities"))
    assert {row["Id"]: stages.get(row["Id"]) for row in opportunities} == {
        row["Id"]: row["StageName"] for row in opportunities
    }
    assert published(data_dir, "select max(as_of_date) from marts.rpt_deliveries") == [(dt.date(2026, 11, 27),)]


def test_a_rebuilt_table_model_replaces_the_old_table_inside_one_transaction(next_night, tmp_path):
    """The project's table materialization (macros/table_materialization.sql): drop and create between BEGIN and
    COMMIT, where the adapter's renamed a temporary table into place and dropped a backup.

    The model is built again in a copy of the data dir, with dbt's file log at debug level (a run logs at info):
    the debug log has every statement dbt sent.
    """
    from orchestration.dbt_invocation import (
        DBT_EXECUTABLE,
        dagster_dbt_environment,
        dbt_environment,
        dbt_parse_args,
        dbt_workspace,
    )
    from salesops.settings import load_settings

    _, data_dir, _, code, output = next_night
    assert code == 0, output
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy, symlinks=True)
    settings = load_settings({"SALESOPS_DATA_DIR": str(copy)})
    workspace, target = dbt_workspace(copy), settings.dbt_target_dir
    model = "int_waterfall_movements_measured"
    environment = {**dbt_environment(settings), **dagster_dbt_environment(workspace, target)}
    environment["DBT_LOG_LEVEL_FILE"] = "debug"
    built = subprocess.run(
        [str(DBT_EXECUTABLE), "build", "--select", model, *dbt_parse_args(settings)[1:]],
        cwd=workspace,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    log = (target / "dbt.log").read_text(encoding="utf-8")
    rebuild = log[log.rindex("Running with dbt=") :]
    statements = [
        line.split(f"On model.salesops.{model}: ", 1)[1]
        for line in rebuild.splitlines()
        if f"On model.salesops.{model}: " in line
    ]
    relation = f'"build"."intermediate"."{model}"'
    assert statements[0] == "BEGIN" and statements[-2:] == ["COMMIT", "Close"]
    assert f"drop table if exists {relation} cascade" in rebuild
    assert "__dbt_backup" not in rebuild and f"{model}__dbt_tmp" not in rebuild


# What says when and by which run a row was made, rather than what the data is: a rebuild differs there.
LINEAGE_COLUMNS = {"rpt_deliveries": ["loaded_at"], "fct_pipeline_snapshots": ["built_from_delivery_id"]}


def _marts(data_dir: Path) -> dict[str, list[tuple]]:
    tables = [
        row[0] for row in published(data_dir, "select table_name from duckdb_tables() where schema_name = 'marts'")
    ]
    marts = {}
    for table in tables:
        columns = [
            row[0]
            for row in published(
                data_dir,
                f"select column_name from duckdb_columns() where schema_name = 'marts' and table_name = '{table}' "
                "order by column_index",
            )
            if row[0] not in LINEAGE_COLUMNS.get(table, [])
        ]
        marts[table] = published(data_dir, f"select {', '.join(columns)} from marts.{table} order by all")
    return marts


def test_the_incremental_run_builds_the_same_marts_as_a_full_rebuild(demo, next_night, tmp_path, capsys):
    """The next night's run kept the big staging tables and the snapshots and applied only the new delivery;
    a new data dir fed every delivery at once must publish the same rows in every mart."""
    exports, incremental_dir, _, code, output = next_night
    assert code == 0, output
    # dbt compiled the staging models as increments: they read only the deliveries after their latest.
    compiled = incremental_dir / "dbt-target" / "compiled" / "salesops" / "models" / "staging"
    for model in ("crm/stg_crm__opportunity_histories.sql", "billing/stg_billing__invoices.sql"):
        assert "where _delivery > (select coalesce(max(delivery_id), '')" in (compiled / model).read_text(), model

    rebuilt_dir = tmp_path / "rebuilt"
    code, output = run_salesops(exports, rebuilt_dir, capsys)
    assert code == 0, output
    incremental, rebuilt = _marts(incremental_dir), _marts(rebuilt_dir)
    assert incremental.keys() == rebuilt.keys() and len(rebuilt) == 17
    for table, rows in rebuilt.items():
        assert len(incremental[table]) == len(rows), table
        # Exact, doubles included: every sum behind a DOUBLE KPI is exact (decimals, integers) and divided
        # once, so the order the rows are stored in, which differs between an increment and a rebuild,
        # cannot change a last bit.
        assert incremental[table] == rows, table
    # The 1 % delivery changed what the marts show: this is not a comparison of two copies of the first night.
    assert _marts(demo[1])["fct_opportunities"] != rebuilt["fct_opportunities"]


def test_the_snapshots_uniqueness_test_reads_only_the_days_the_last_build_wrote(next_night, tmp_path):
    """An incremental build rewrites whole days: its uniqueness test checks those, not twelve million old rows."""
    import duckdb

    _, data_dir, _, code, output = next_night
    assert code == 0, output
    compiled = next((data_dir / "dbt-target" / "compiled").rglob("unique_combination_fct_pipelin*.sql"))
    test_sql = compiled.read_text(encoding="utf-8")
    shutil.copyfile(data_dir / "warehouse" / "build.duckdb", tmp_path / "build.duckdb")
    with duckdb.connect(str(tmp_path / "build.duckdb")) as build:
        snapshots = "marts.fct_pipeline_snapshots"
        days = dict(
            build.execute(f"select built_from_delivery_id, max(snapshot_date) from {snapshots} group by 1").fetchall()
        )
        assert sorted(days) == [D2, "2026-11-27"]  # the first night's days, and the day the next night added
        assert build.execute(test_sql).fetchall() == []
        # A duplicate on a day an earlier build wrote is not looked at again ...
        build.execute(f"insert into {snapshots} select * from {snapshots} where snapshot_date = ? limit 1", [days[D2]])
        assert build.execute(test_sql).fetchall() == []
        # ... one on a day the last build wrote fails the test.
        latest = days["2026-11-27"]
        build.execute(f"insert into {snapshots} select * from {snapshots} where snapshot_date = ? limit 1", [latest])
        assert [row[0] for row in build.execute(test_sql).fetchall()] == [latest]


def test_team_and_rep_bookings_follow_owners_and_the_reporting_line(demo, first_run):
    exports, data_dir = demo
    assert first_run[0] == 0
    users = {row["Id"]: row["EmployeeNumber"] for row in read_csv(exports / "crm" / D1 / "User.csv")}
    people = employees(exports)
    heads: dict[str, set[str]] = {}  # person -> the people whose scope includes them: themselves and every manager
    for number in people:
        chain, boss = {number}, people[number]["Supervisor EID"] or None
        while boss:
            chain.add(boss)
            boss = people[boss]["Supervisor EID"] or None
        heads[number] = chain
    managers = {row["Supervisor EID"] for row in people.values() if row["Supervisor EID"]}

    expected: Counter = Counter()
    for o in current_records(exports, "crm", "Opportunity.csv", "Id").values():
        owner = users.get(o["OwnerId"])
        if o["IsWon"] != "true" or not owner:
            continue
        month = _month(dt.date.fromisoformat(o["CloseDate"]))
        expected[("rep", owner, month)] += Decimal(o["Amount"] or 0)
        for head in heads[owner] & managers:
            expected[("team", head, month)] += Decimal(o["Amount"] or 0)
    actual = {
        (row[0], row[1], row[2]): row[3]
        for row in published(
            data_dir,
            """
        select scope_type, scope_id, month, value from marts.kpi_monthly
        where kpi = 'bookings' and scope_type in ('team', 'rep') and value <> 0""",
        )
    }
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(float(value)), key


def test_a_source_never_delivered_leaves_its_kpis_null_and_the_summary_says_so(demo, tmp_path, capsys):
    """No billing folder at all: the run is green, revenue and MRR are null (not 0), and the summary names it."""
    exports, _ = demo
    without_billing = tmp_path / "exports"
    shutil.copytree(
        exports, without_billing, ignore=lambda folder, names: ["billing"] if folder == str(exports) else []
    )
    assert not (without_billing / "billing").exists() and (without_billing / "crm").is_dir()
    data_dir = tmp_path / "data"
    code, output = run_salesops(without_billing, data_dir, capsys)
    assert code == 0, output
    assert f"not delivered: no billing export has arrived yet ({without_billing / 'billing'}/<delivery>/)" in output
    assert "so revenue, MRR and its movements, retention, CAC and profit margin are null (not 0)" in output
    billing_kpis = ("revenue", "mrr", "new_mrr", "churned_mrr", "logo_churn_rate", "clv", "cac", "profit_margin")
    values = published(
        data_dir,
        f"select kpi, count(*), count(value) from marts.kpi_monthly where kpi in {billing_kpis} group by kpi",
    )
    assert {kpi for kpi, _, _ in values} == set(billing_kpis)
    assert all(rows > 0 and with_value == 0 for _, rows, with_value in values), values
    # What does not depend on billing is still there: bookings and NPS.
    assert published(data_dir, "select count(value) from marts.kpi_monthly where kpi in ('bookings', 'nps')")[0][0] > 0


def test_open_deals_without_an_amount_warn_with_counts_and_do_not_block(demo, first_run, tmp_path, capsys):
    assert first_run[0] == 0
    exports, data_dir = _copy(demo, tmp_path)
    open_deals = [
        row for row in current_records(exports, "crm", "Opportunity.csv", "Id").values() if row["IsClosed"] == "false"
    ]
    emptied = [dict(row, Amount="") for row in open_deals[:3]]
    _write_delivery(exports, "2026-11-27", emptied)
    # Counted here from the exports: the open deals after the new delivery, and those without an amount.
    after = [
        row for row in current_records(exports, "crm", "Opportunity.csv", "Id").values() if row["IsClosed"] == "false"
    ]
    without = sum(1 for row in after if not row["Amount"])
    assert without == 3 and len(after) == len(open_deals)

    code, output = run_salesops(exports, data_dir, capsys)
    assert code == 0, output
    assert ", 1 warned" in output
    share = f"{without / len(after):.0%}"
    assert (
        f"warning: published/salesops_duckdb open_deals_have_amounts: {without} of {len(after)} open deals ({share}) "
        "have no amount" in output
    )
