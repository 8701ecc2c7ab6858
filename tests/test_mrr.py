"""marts.fct_mrr_monthly on generated exports, checked against MRR computed here from the Stripe CSVs.

The expected rows are derived in plain Python from the billing export files
(deliveries applied in folder order, records upserted by id, epoch seconds as
UTC dates, cents as exact fractions), never from the models. Rules: marts.md,
fct_mrr_monthly.
"""

import calendar
import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

from tests.conftest import as_of_date, months_between, published, upserted

INTERVALS_A_YEAR = {"month": 12, "year": 1, "week": 52, "day": 365}


def utc_date(epoch: str) -> dt.date | None:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else None


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def to_cents(exact_cents: Fraction) -> Decimal:
    """Exact cents rounded half-up to whole cents, in dollars."""
    with localcontext() as context:
        context.prec = 60
        return (Decimal(exact_cents.numerator) / Decimal(exact_cents.denominator) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def expected_mrr(exports: Path) -> tuple[dict, dict]:
    """(customer_id, month) -> (account_id, mrr, previous_mrr, mrr_change, movement), and facts about the data."""
    customers = upserted(exports, "billing", "customers.csv", "id")
    subscriptions = upserted(exports, "billing", "subscriptions.csv", "id")
    items = upserted(exports, "billing", "subscription_items.csv", "id")
    as_of = as_of_date(exports)

    lines = []  # (customer, start date, stop date or None, exact monthly cents)
    for item in items.values():
        sub = subscriptions[item["subscription"]]
        stops = [d for d in (utc_date(sub["canceled_at"]), utc_date(sub["ended_at"])) if d is not None]
        monthly = Fraction(
            int(item["price.unit_amount"]) * int(item["quantity"]) * INTERVALS_A_YEAR[item["price.recurring.interval"]],
            12 * int(item["price.recurring.interval_count"]),
        )
        lines.append((sub["customer"], utc_date(sub["start_date"]), min(stops) if stops else None, monthly))

    exact: dict[tuple[str, dt.date], Fraction] = defaultdict(Fraction)
    for month in months_between(min(line[1] for line in lines), as_of):
        end = last_day(month)
        for customer, start, stop, monthly in lines:
            if start <= end and (stop is None or stop > end):  # started on or before, not canceled/ended on or before
                exact[customer, month] += monthly
    mrr = {key: to_cents(value) for key, value in exact.items()}

    rows = {}
    for customer in sorted({customer for customer, _ in mrr}):
        positive = sorted(month for (c, month), value in mrr.items() if c == customer and value > 0)
        if not positive:
            continue
        previous, had_mrr = Decimal("0.00"), False
        for month in months_between(positive[0], as_of):
            current = mrr.get((customer, month), Decimal("0.00"))
            if current > 0 or previous > 0:
                if current > 0 and previous == 0:
                    movement = "reactivation" if had_mrr else "new"
                elif current == 0:
                    movement = "churn"
                else:
                    movement = (
                        "expansion" if current > previous else "contraction" if current < previous else "unchanged"
                    )
                account = customers.get(customer, {}).get("metadata.salesforce_account_id") or None
                rows[customer, month] = (account, current, previous, current - previous, movement)
            had_mrr = had_mrr or current > 0
            previous = current

    facts = {
        "as_of": as_of,
        "intervals": Counter(item["price.recurring.interval"] for item in items.values()),
        "fractional_cents": sum(1 for value in exact.values() if value.denominator != 1),
        "canceled_while_active": sum(
            1 for sub in subscriptions.values() if sub["canceled_at"] and sub["status"] != "canceled"
        ),
    }
    return rows, facts


def test_mrr_rows_match_the_billing_exports_to_the_cent(pipeline):
    exports, data_dir = pipeline
    expected, facts = expected_mrr(exports)
    actual = {
        (row[0], row[1]): row[2:]
        for row in published(
            data_dir,
            """
        select customer_id, month, account_id, mrr, previous_mrr, mrr_change, movement
        from marts.fct_mrr_monthly""",
        )
    }
    missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    wrong = {key: (actual[key], expected[key]) for key in expected if actual[key] != expected[key]}
    assert not wrong, list(wrong.items())[:5]

    # The data really exercises the rules.
    movements = Counter(values[4] for values in expected.values())
    assert set(movements) == {"new", "expansion", "contraction", "churn", "reactivation", "unchanged"}, movements
    assert {"month", "year", "week"} <= set(facts["intervals"]), facts["intervals"]
    assert facts["fractional_cents"] > 0  # months whose exact MRR is not a whole cent
    assert facts["canceled_while_active"] > 0  # a pending cancellation counts as canceled
    assert max(month for _, month in expected) == facts["as_of"].replace(day=1)  # rows run through the as-of month


def test_mrr_mart_columns_follow_the_contract(pipeline):
    _, data_dir = pipeline
    columns = {name: kind for name, kind, *_ in published(data_dir, "describe marts.fct_mrr_monthly")}
    assert columns == {
        "customer_id": "VARCHAR",
        "account_id": "VARCHAR",
        "month": "DATE",
        "mrr": "DECIMAL(18,2)",
        "previous_mrr": "DECIMAL(18,2)",
        "mrr_change": "DECIMAL(18,2)",
        "movement": "VARCHAR",
    }
