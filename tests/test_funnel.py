"""marts.rpt_funnel_conversion on generated exports, checked against a funnel computed here from the CRM CSVs.

The expected rows are derived in plain Python from Lead.csv, Opportunity.csv and
OpportunityHistory.csv (deliveries applied in folder order, records upserted by
Id, rows with IsDeleted = true removed) and the default stage map written out
below, never from the models. Definitions: _funnel__models.yml.
"""

import datetime as dt
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from tests.conftest import as_of_date, deliveries, months_between, published, read_csv

# The default stage map (dbt_project.yml vars.stage_map): stage -> funnel step.
STAGE_STEPS = {
    "Prospecting": "prospect",
    "Qualification": "prospect",
    "Value Proposition": "opportunity",
    "Negotiation/Review": "opportunity",
    "Closed Won": "customer",
    "Closed Lost": "lost",
}
STEP_ORDER = {"lead": 1, "prospect": 2, "opportunity": 3, "customer": 4}


def crm_records(exports: Path, filename: str) -> tuple[dict[str, dict], int]:
    """Salesforce records by Id after every CRM delivery in folder order, without the deleted ones.

    Also returns how many were deleted.
    """
    records: dict[str, dict] = {}
    for delivery in deliveries(exports, "crm"):
        if (delivery / filename).exists():
            records.update({row["Id"]: row for row in read_csv(delivery / filename)})
    kept = {key: row for key, row in records.items() if row["IsDeleted"].lower() != "true"}
    return kept, len(records) - len(kept)


def timestamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rank(stage: str) -> int | None:
    """The stage's funnel step order (None for a lost stage)."""
    return STEP_ORDER.get(STAGE_STEPS[stage])


def expected_funnel(exports: Path) -> tuple[dict, dict]:
    """(cohort_month, funnel_step) -> (step_order, entered, advanced, won, exited, median days); and facts."""
    leads, deleted_leads = crm_records(exports, "Lead.csv")
    opportunities, deleted_opportunities = crm_records(exports, "Opportunity.csv")
    histories, _ = crm_records(exports, "OpportunityHistory.csv")

    changes = defaultdict(list)  # opportunity -> [(changed at, history Id, stage)] in order
    for row in histories.values():
        if row["OpportunityId"] in opportunities:
            changes[row["OpportunityId"]].append((timestamp(row["CreatedDate"]), row["Id"], row["StageName"]))
    for rows in changes.values():
        rows.sort()

    members = defaultdict(list)  # (month, step) -> [(advanced, won, days in step or None)]
    reached, facts = {}, defaultdict(int)
    for opportunity_id, opportunity in opportunities.items():
        stages = [stage for _, _, stage in changes[opportunity_id]] + [opportunity["StageName"]]
        reached[opportunity_id] = max([2] + [rank(stage) for stage in stages if rank(stage) is not None])
        month = month_of(timestamp(opportunity["CreatedDate"]).date())
        history = changes[opportunity_id]
        for step in ("prospect", "opportunity", "customer"):
            order = STEP_ORDER[step]
            if reached[opportunity_id] < order:
                continue
            days = None
            entry = next((i for i, (_, _, stage) in enumerate(history) if (rank(stage) or 0) >= order), None)
            if step != "customer" and entry is not None:
                if STAGE_STEPS[history[entry][2]] == step:  # stood in the step (did not skip it)
                    leave = next(
                        (
                            j
                            for j in range(entry + 1, len(history))
                            if (rank(history[j][2]) or 0) > order or STAGE_STEPS[history[j][2]] == "lost"
                        ),
                        None,
                    )
                    if leave is not None:
                        days = (history[leave][0].date() - history[entry][0].date()).days
                else:
                    facts[f"skipped_{step}"] += 1
            advanced = reached[opportunity_id] > order if step != "customer" else None
            members[month, step].append((advanced, reached[opportunity_id] >= 4, days))
        if STAGE_STEPS[opportunity["StageName"]] == "lost":
            facts[f"lost_after_reaching_{reached[opportunity_id]}"] += 1

    for lead in leads.values():
        created = timestamp(lead["CreatedDate"]).date()
        converted = lead["IsConverted"].lower() == "true" and bool(
            lead["ConvertedOpportunityId"] or lead["ConvertedDate"]
        )
        won = converted and reached.get(lead["ConvertedOpportunityId"], 0) >= 4
        days = (
            (dt.date.fromisoformat(lead["ConvertedDate"]) - created).days
            if converted and lead["ConvertedDate"]
            else None
        )
        members[month_of(created), "lead"].append((converted, won, days))
        facts["leads_won"] += won
        facts["leads_converted_not_won"] += converted and not won

    as_of = as_of_date(exports)
    rows = {}
    for month in months_between(min(month for month, _ in members), as_of):
        for step, order in STEP_ORDER.items():
            cohort = members.get((month, step), [])
            days = [d for _, _, d in cohort if d is not None]
            median = Decimal(str(statistics.median(days))).quantize(Decimal("0.1")) if days else None
            advanced = sum(1 for a, _, _ in cohort if a) if step != "customer" else None
            rows[month, step] = (order, len(cohort), advanced, sum(1 for _, w, _ in cohort if w), len(days), median)
    facts.update(as_of=as_of, deleted_leads=deleted_leads, deleted_opportunities=deleted_opportunities)
    return rows, facts


def test_funnel_rows_match_the_crm_exports(pipeline):
    exports, data_dir = pipeline
    expected, facts = expected_funnel(exports)
    actual = {
        (row[0], row[1]): row[2:]
        for row in published(
            data_dir,
            """
        select cohort_month, funnel_step, step_order, entered, advanced, won, exited, median_days_in_step
        from marts.rpt_funnel_conversion""",
        )
    }
    missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    counts = {key: (actual[key][:4], expected[key][:4]) for key in expected if actual[key][:4] != expected[key][:4]}
    assert not counts, sorted(counts.items())[:5]  # step_order, entered, advanced, won
    timing = {key: (actual[key][4:], expected[key][4:]) for key in expected if actual[key][4:] != expected[key][4:]}
    assert not timing, sorted(timing.items())[:5]  # exited, median_days_in_step

    # The data really exercises the rules.
    assert max(month for month, _ in expected) == facts["as_of"].replace(day=1)  # rows run through the as-of month
    assert facts["skipped_opportunity"] > 0  # won straight from a prospect stage
    assert facts["lost_after_reaching_2"] > 0 and facts["lost_after_reaching_3"] > 0  # lost at prospect, at opportunity
    assert facts["leads_won"] > 0 and facts["leads_converted_not_won"] > 0
    assert facts["deleted_leads"] > 0 and facts["deleted_opportunities"] > 0


def test_funnel_rates_follow_the_counts(pipeline):
    _, data_dir = pipeline
    rows = published(
        data_dir,
        """
        select funnel_step, entered, advanced, conversion_rate_to_next, won, conversion_rate_to_won
        from marts.rpt_funnel_conversion""",
    )
    for step, entered, advanced, to_next, won, to_won in rows:
        if entered == 0:
            assert to_next is None and to_won is None
            continue
        assert to_won == (Decimal(won) / Decimal(entered)).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        if step == "customer":
            assert advanced is None and to_next is None and won == entered
        else:
            assert to_next == (Decimal(advanced) / Decimal(entered)).quantize(Decimal("0.000001"), ROUND_HALF_UP)


def test_funnel_mart_columns_follow_the_contract(pipeline):
    _, data_dir = pipeline
    columns = {name: kind for name, kind, *_ in published(data_dir, "describe marts.rpt_funnel_conversion")}
    assert columns == {
        "cohort_month": "DATE",
        "funnel_step": "VARCHAR",
        "step_order": "INTEGER",
        "entered": "BIGINT",
        "advanced": "BIGINT",
        "conversion_rate_to_next": "DECIMAL(18,6)",
        "won": "BIGINT",
        "conversion_rate_to_won": "DECIMAL(18,6)",
        "exited": "BIGINT",
        "median_days_in_step": "DECIMAL(18,1)",
    }
