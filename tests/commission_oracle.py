"""An independent commission calculator: the test oracle for ``fct_commission_statements``.

It reads the export files directly (csv / openpyxl / yaml, nothing from ``ingestion/`` or
``orchestration/``) and applies ``shared/spec/commissions.md`` as read by
``dbt_project/models/marts/commissions/commission_rules.md``.

Arithmetic is exact: quotas are :class:`fractions.Fraction` until the statement's effective
quota is rounded once (half-up, cents); money is :class:`decimal.Decimal` in cents.

Readings of points the rules leave open (the SQL must make the same choices):

* Band edges in money are ``round_half_up(bound × Q, 2)`` where ``Q`` is the statement's
  effective quota *already rounded to cents*; the cap edge is ``round_half_up(cap × Q, 2)``.
  So every piece is a whole number of cents and the commission lines' credited amounts add up
  to ``credited_bookings`` exactly.
* A tier cut by the cap keeps its own ``band_from`` / ``band_to`` (e.g. ``[1.5, null)`` even
  when the cap is 2.5); tiers starting at or above the cap give no line; the credit above the
  cap is one line per deal with rate 0 and band ``[cap, null)``.
* A piece is a line only when its credited amount is not 0 (a deal credited 0 gives no
  commission line).
* Credits of one opportunity to one person (two splits, or two CRM users with one employee
  number) are added into one credit before banding. Uncredited lines are one per split (or one
  for the owner when the opportunity has no splits).
* Effective quota: a month is counted when it overlaps one of the person's assignments to the
  plan, an open assignment (``end`` null) being open-ended (so the current quarter's months
  after the as-of date count). A person without an HR hire date has an effective quota of 0.
* Draws run over *every* statement of (person, plan) in period order, the clawback-only
  statements created after an assignment ended included; the recoverable balance is carried
  from the previous statement of that (person, plan), whatever the gap between them.
* Clawbacks: the earliest ``canceled_at`` among the deal's subscriptions is the one tested;
  if it falls outside ``[CloseDate, CloseDate + clawback_days]`` or after the as-of date, there
  is no clawback (a later cancellation of the same deal is not considered).
* Line columns: ``spiff`` lines have credited_amount, band_from, band_to and rate null;
  ``draw`` lines have opportunity_id, credited_amount, bands and rate null; ``uncredited``
  lines have plan_id, bands and rate null and amount 0.00; a ``clawback`` line negates
  credited_amount (null stays null) and amount, and copies bands and rate.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import yaml

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
IMPLICIT_DELIVERY = "0000-00-00"


# ---------------------------------------------------------------------------- result types
@dataclass(frozen=True)
class Statement:
    employee_number: str
    plan_id: str
    period_start: dt.date
    effective_quota: Decimal
    credited_bookings: Decimal
    attainment: Decimal | None
    commission: Decimal
    spiffs: Decimal
    clawbacks: Decimal
    earned: Decimal
    draw_paid: Decimal
    draw_balance: Decimal
    payout: Decimal
    is_assigned: bool = True
    """False for a statement that exists only to hold a clawback after the assignment ended."""


@dataclass(frozen=True)
class Line:
    employee_number: str | None
    plan_id: str | None
    period_start: dt.date
    line_type: str  # commission | spiff | clawback | draw | uncredited
    opportunity_id: str | None
    credited_amount: Decimal | None
    band_from: Decimal | None
    band_to: Decimal | None
    rate: Decimal | None
    amount: Decimal


# ---------------------------------------------------------------------------- arithmetic
def money(value) -> Decimal:
    """Round half-up (away from zero) to cents; -0.00 becomes 0.00."""
    if isinstance(value, Fraction):
        value = _round_fraction(value, 2)
    result = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return result if result != 0 else ZERO


def _round_fraction(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    sign = -1 if scaled < 0 else 1
    magnitude = abs(scaled)
    whole = int(magnitude)  # floor of a non-negative number
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(sign * whole).scaleb(-places)


def _dec(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return Decimal(str(value).strip())


def _neg(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return -value if value != 0 else ZERO


# ---------------------------------------------------------------------------- periods
def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_from_index(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(start: dt.date) -> dt.date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def fiscal_quarter_start(day: dt.date, fy_start_month: int) -> dt.date:
    offset = (day.month - fy_start_month) % 12
    return _month_from_index(_month_index(day) - offset % 3)


def fiscal_quarter_of(fy: int, quarter: int, fy_start_month: int) -> dt.date:
    """First day of quarter ``quarter`` of fiscal year ``fy`` (named by the year it ends in)."""
    first = dt.date(fy, 1, 1) if fy_start_month == 1 else dt.date(fy - 1, fy_start_month, 1)
    return _month_from_index(_month_index(first) + 3 * (quarter - 1))


@dataclass(frozen=True)
class Tier:
    band_from: Decimal
    band_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Spiff:
    id: str
    opportunity_type: str | None
    min_amount: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class Plan:
    id: str
    period: str  # month | quarter
    ramp: tuple[Fraction, ...]
    tiers: tuple[Tier, ...]
    cap: Decimal | None
    clawback_days: int | None
    draw_amount: Decimal | None
    draw_recoverable: bool
    spiffs: tuple[Spiff, ...]

    def period_start(self, day: dt.date, fy_start_month: int) -> dt.date:
        if self.period == "month":
            return day.replace(day=1)
        return fiscal_quarter_start(day, fy_start_month)

    def months(self, period_start: dt.date) -> int:
        return 1 if self.period == "month" else 3

    def period_end(self, period_start: dt.date) -> dt.date:
        return _month_end(_month_from_index(_month_index(period_start) + self.months(period_start) - 1))

    def next_period(self, period_start: dt.date) -> dt.date:
        return _month_from_index(_month_index(period_start) + self.months(period_start))


@dataclass(frozen=True)
class Assignment:
    employee_number: str
    plan: str
    start: dt.date
    end: dt.date | None


# ---------------------------------------------------------------------------- reading exports
def _deliveries(exports: Path, source: str) -> list[Path]:
    """Delivery folders of a source in applied order; files directly under it come first."""
    root = exports / source
    if not root.is_dir():
        return []
    found: list[tuple[str, Path]] = []
    if any(p.is_file() for p in root.iterdir()):
        found.append((IMPLICIT_DELIVERY, root))
    found += [(p.name, p) for p in root.iterdir() if p.is_dir()]
    return [path for _, path in sorted(found, key=lambda item: item[0])]


def _cell(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() != "" else None


def _read_table(path: Path) -> list[dict[str, str | None]]:
    if path.suffix.lower() == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
        if not rows:
            return []
        header = [str(h).strip() if h is not None else "" for h in rows[0]]
        return [
            dict(zip(header, (_cell(v) for v in row), strict=False))
            for row in rows[1:]
            if any(v is not None and str(v).strip() != "" for v in row)
        ]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        return [dict(zip(header, (v if v != "" else None for v in row), strict=False)) for row in reader if row]


def _files(exports: Path, source: str, names: tuple[str, ...]) -> Iterator[Path]:
    """The files of one entity (any of ``names``), in delivery order."""
    for delivery in _deliveries(exports, source):
        for name in names:
            path = delivery / name
            if path.is_file():
                yield path


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "1", "yes")


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _upsert(exports: Path, source: str, names: tuple[str, ...], key) -> dict:
    """Records by id, later deliveries winning; Salesforce ``IsDeleted = true`` drops the record."""
    records: dict = {}
    for path in _files(exports, source, names):
        for row in _read_table(path):
            records[key(row)] = row
    return {k: row for k, row in records.items() if not _is_true(row.get("IsDeleted"))}


def _date(value: str | None) -> dt.date | None:
    value = _strip(value)
    return dt.date.fromisoformat(value[:10]) if value else None


def _yaml_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _employee_id(value) -> str | None:
    return _strip(_cell(value) if not isinstance(value, str) else value)


def load_plans(exports: Path) -> tuple[dict[str, Plan], list[Assignment]]:
    paths = list(_files(exports, "planning", ("comp_plans.yaml", "comp_plans.yml")))
    if not paths:
        return {}, []
    document = yaml.safe_load(paths[-1].read_text(encoding="utf-8-sig")) or {}
    plans: dict[str, Plan] = {}
    for raw in document.get("plans") or []:
        tiers = sorted(
            (Tier(Decimal(str(t["from"])), _dec(t.get("to")), Decimal(str(t["rate"]))) for t in raw.get("tiers") or []),
            key=lambda t: t.band_from,
        )
        for lower, upper in itertools.pairwise(tiers):
            if lower.band_to is None or lower.band_to != upper.band_from:
                raise ValueError(f"plan {raw['id']}: tiers overlap or leave a gap")
        draw = raw.get("draw")
        plans[str(raw["id"])] = Plan(
            id=str(raw["id"]),
            period=str(raw.get("period", "quarter")),
            ramp=tuple(Fraction(str(x)) for x in raw.get("ramp") or []),
            tiers=tuple(tiers),
            cap=_dec(raw.get("cap")),
            clawback_days=None if raw.get("clawback_days") is None else int(raw["clawback_days"]),
            draw_amount=None if not draw or draw.get("amount") is None else Decimal(str(draw["amount"])),
            draw_recoverable=bool(draw and draw.get("recoverable")),
            spiffs=tuple(
                Spiff(str(s.get("id")), s.get("opportunity_type"), _dec(s.get("min_amount")), Decimal(str(s["amount"])))
                for s in raw.get("spiffs") or []
            ),
        )
    assignments = []
    for raw in document.get("assignments") or []:
        if str(raw["plan"]) not in plans:
            raise ValueError(f"assignment {raw}: unknown plan")
        assignments.append(
            Assignment(
                _employee_id(raw["employee_number"]),
                str(raw["plan"]),
                _yaml_date(raw["start"]),
                _yaml_date(raw.get("end")),
            )
        )
    by_person = defaultdict(list)
    for a in assignments:
        by_person[a.employee_number].append(a)
    for person, items in by_person.items():
        items.sort(key=lambda a: a.start)
        for first, second in itertools.pairwise(items):
            if first.end is None or first.end >= second.start:
                raise ValueError(f"assignments of {person} overlap")
    return plans, assignments


def load_quotas(exports: Path, fy_start_month: int) -> dict[tuple[str, dt.date], Fraction]:
    """Full monthly quota per (employee_number, month start): quarterly / 3 plus monthly rows."""
    rows = {}
    for path in _files(exports, "planning", ("quotas.xlsx", "quotas.csv")):
        for row in _read_table(path):
            person, period = _employee_id(row.get("employee_number")), _strip(row.get("period"))
            if person and period:
                rows[(person, period.upper())] = row
    monthly: dict[tuple[str, dt.date], Fraction] = defaultdict(Fraction)
    for (person, period), row in rows.items():
        amount = _dec(row.get("quota_amount"))
        if amount is None:
            continue
        if period.startswith("FY"):
            year, quarter = period[2:].split("-Q")
            start = fiscal_quarter_of(int(year), int(quarter), fy_start_month)
            for k in range(3):
                monthly[(person, _month_from_index(_month_index(start) + k))] += Fraction(amount) / 3
        else:
            year, month = period.split("-")
            monthly[(person, dt.date(int(year), int(month), 1))] += Fraction(amount)
    return dict(monthly)


def load_employees(exports: Path) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """(hire date, termination date) per Employee #."""
    records = _upsert(
        exports, "hr", ("employees.xlsx", "employees.csv"), lambda row: _employee_id(row.get("Employee #"))
    )
    return {k: (_date(r.get("Hire Date")), _date(r.get("Termination Date"))) for k, r in records.items() if k}


def load_cancellations(exports: Path) -> dict[str, dt.date]:
    """Earliest cancellation date (UTC) per Salesforce opportunity id."""
    subscriptions = _upsert(exports, "billing", ("subscriptions.csv",), lambda row: _strip(row.get("id")))
    earliest: dict[str, dt.date] = {}
    for row in subscriptions.values():
        opportunity, canceled = _strip(row.get("metadata.salesforce_opportunity_id")), _strip(row.get("canceled_at"))
        if opportunity and canceled:
            day = dt.datetime.fromtimestamp(int(Decimal(canceled)), tz=dt.UTC).date()
            if opportunity not in earliest or day < earliest[opportunity]:
                earliest[opportunity] = day
    return earliest


# ---------------------------------------------------------------------------- the computation
@dataclass
class _Draft:
    lines: list[Line]
    commission: Decimal = ZERO
    spiffs: Decimal = ZERO
    clawbacks: Decimal = ZERO
    credited: Decimal = ZERO


def _compute(exports: Path, as_of: dt.date, fy_start_month: int):
    exports = Path(exports)
    plans, assignments = load_plans(exports)
    quotas = load_quotas(exports, fy_start_month)
    employees = load_employees(exports)
    cancellations = load_cancellations(exports)
    users = _upsert(exports, "crm", ("User.csv",), lambda row: _strip(row.get("Id")))
    opportunities = _upsert(exports, "crm", ("Opportunity.csv",), lambda row: _strip(row.get("Id")))
    splits = _upsert(exports, "crm", ("OpportunitySplit.csv",), lambda row: _strip(row.get("Id")))

    def person_of(user_id: str | None) -> str | None:
        user = users.get(user_id) if user_id else None
        return _employee_id(user.get("EmployeeNumber")) if user else None

    assignments_of: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        assignments_of[a.employee_number].append(a)

    def assignment_on(person: str | None, day: dt.date) -> Assignment | None:
        for a in assignments_of.get(person, []) if person else []:
            if a.start <= day and (a.end is None or day <= a.end):
                return a
        return None

    # --- statement spine: every plan period overlapping an assignment, up to the as-of date
    drafts: dict[tuple[str, str, dt.date], _Draft] = {}

    def draft(person: str, plan_id: str, period_start: dt.date) -> _Draft:
        return drafts.setdefault((person, plan_id, period_start), _Draft([]))

    for a in assignments:
        plan = plans[a.plan]
        last = min(a.end, as_of) if a.end is not None else as_of
        if last < a.start:
            continue
        period = plan.period_start(a.start, fy_start_month)
        while period <= last:
            draft(a.employee_number, plan.id, period)
            period = plan.next_period(period)

    # --- credit
    won = {}
    for opp_id, row in opportunities.items():
        close = _date(row.get("CloseDate"))
        if _is_true(row.get("IsWon")) and close is not None and close <= as_of:
            won[opp_id] = (close, _dec(row.get("Amount")) or Decimal(0), row)
    splits_of: dict[str, list[dict]] = defaultdict(list)
    for _, row in sorted(splits.items(), key=lambda item: item[0]):
        splits_of[_strip(row.get("OpportunityId"))].append(row)

    uncredited: list[Line] = []
    credits: dict[tuple[str, str, dt.date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for opp_id, (close, amount, row) in won.items():
        if splits_of.get(opp_id):
            pieces = [
                (_strip(s.get("SplitOwnerId")), money(amount * (_dec(s.get("SplitPercentage")) or 0) / 100))
                for s in splits_of[opp_id]
            ]
        else:
            pieces = [(_strip(row.get("OwnerId")), money(amount))]
        for user_id, credit in pieces:
            person = person_of(user_id)
            holding = assignment_on(person, close)
            if holding is None:
                uncredited.append(
                    Line(person, None, close.replace(day=1), "uncredited", opp_id, credit, None, None, None, ZERO)
                )
                continue
            plan = plans[holding.plan]
            credits[(person, plan.id, plan.period_start(close, fy_start_month))][opp_id] += credit

    # --- effective quota per statement
    def effective_quota(person: str, plan: Plan, period_start: dt.date) -> Decimal:
        hire, term = employees.get(person, (None, None))
        if hire is None:
            return ZERO
        total = Fraction(0)
        for k in range(plan.months(period_start)):
            start = _month_from_index(_month_index(period_start) + k)
            end = _month_end(start)
            if not any(
                a.plan == plan.id and a.start <= end and (a.end is None or a.end >= start)
                for a in assignments_of[person]
            ):
                continue
            tenure = _month_index(start) - _month_index(hire) + 1
            if tenure < 1:
                factor = Fraction(0)
            elif tenure <= len(plan.ramp):
                factor = plan.ramp[tenure - 1]
            else:
                factor = Fraction(1)
            first, last = max(hire, start), min(term or end, end)
            days = max(0, (last - first).days + 1)
            share = Fraction(days, end.day)
            total += quotas.get((person, start), Fraction(0)) * factor * share
        return money(total)

    quota_of: dict[tuple[str, str, dt.date], Decimal] = {}

    # --- commission pieces
    earned_lines: dict[str, list[tuple[str, str, Line]]] = defaultdict(list)  # opp -> (person, plan, line)
    for key in sorted(set(credits) | set(drafts)):
        person, plan_id, period_start = key
        plan = plans[plan_id]
        quota = quota_of[key] = effective_quota(person, plan, period_start)
        deals = credits.get(key, {})
        if not deals:
            continue
        bands = _bands(plan, quota)
        d = draft(person, plan_id, period_start)
        cumulative = Decimal(0)
        for opp_id in sorted(deals, key=lambda o: (won[o][0], o)):
            credit = deals[opp_id]
            low, high = cumulative, cumulative + credit
            if credit < 0:
                low, high = high, low
            sign = 1 if credit >= 0 else -1
            cumulative += credit
            for lo, hi, band_from, band_to, rate in bands:
                top = high if hi is None else min(high, hi)
                bottom = low if lo is None else max(low, lo)
                if top <= bottom:
                    continue
                piece = sign * (top - bottom)
                line = Line(
                    person,
                    plan_id,
                    period_start,
                    "commission",
                    opp_id,
                    money(piece),
                    band_from,
                    band_to,
                    rate,
                    money(piece * rate),
                )
                d.lines.append(line)
                d.commission += line.amount
                d.credited += line.credited_amount
                earned_lines[opp_id].append((person, plan_id, line))

    # --- SPIFFs, to the owner
    for opp_id, (close, amount, row) in sorted(won.items(), key=lambda item: (item[1][0], item[0])):
        person = person_of(_strip(row.get("OwnerId")))
        holding = assignment_on(person, close)
        if holding is None:
            continue
        plan = plans[holding.plan]
        for spiff in plan.spiffs:
            if spiff.opportunity_type is not None and spiff.opportunity_type != row.get("Type"):
                continue
            if spiff.min_amount is not None and amount < spiff.min_amount:
                continue
            period_start = plan.period_start(close, fy_start_month)
            line = Line(person, plan.id, period_start, "spiff", opp_id, None, None, None, None, money(spiff.amount))
            d = draft(person, plan.id, period_start)
            d.lines.append(line)
            d.spiffs += line.amount
            earned_lines[opp_id].append((person, plan.id, line))

    # --- clawbacks, in the plan period holding the cancellation
    for opp_id in sorted(earned_lines):
        canceled = cancellations.get(opp_id)
        if canceled is None or canceled > as_of:
            continue
        close = won[opp_id][0]
        for person, plan_id, line in earned_lines[opp_id]:
            plan = plans[plan_id]
            if plan.clawback_days is None or not 0 <= (canceled - close).days <= plan.clawback_days:
                continue
            period_start = plan.period_start(canceled, fy_start_month)
            reversal = Line(
                person,
                plan_id,
                period_start,
                "clawback",
                opp_id,
                _neg(line.credited_amount),
                line.band_from,
                line.band_to,
                line.rate,
                _neg(line.amount),
            )
            d = draft(person, plan_id, period_start)
            d.lines.append(reversal)
            d.clawbacks += reversal.amount

    # --- statements and draws, per (person, plan) in period order
    statements: dict[tuple[str, str, dt.date], Statement] = {}
    lines: list[Line] = []
    balance: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for key in sorted(drafts, key=lambda k: (k[0], k[1], k[2])):
        person, plan_id, period_start = key
        plan = plans[plan_id]
        d = drafts[key]
        quota = quota_of.get(key)
        if quota is None:
            quota = effective_quota(person, plan, period_start)
        earned = d.commission + d.spiffs + d.clawbacks
        # A statement that exists only for a clawback after the assignment ended has no draw.
        draw = plan.draw_amount if key in quota_of else None
        if draw is None:  # no draw: pay what was earned, pass the carried balance on
            payout, draw_paid, carried = earned, ZERO, balance[(person, plan_id)]
        elif not plan.draw_recoverable:
            payout, draw_paid, carried = (draw, draw, ZERO) if earned < draw else (earned, ZERO, ZERO)
        else:
            available = earned - balance[(person, plan_id)]
            if available >= draw:
                payout, draw_paid, carried = available, ZERO, ZERO
            else:
                payout, draw_paid, carried = draw, draw, draw - available
        balance[(person, plan_id)] = carried
        if payout != earned:
            d.lines.append(
                Line(person, plan_id, period_start, "draw", None, None, None, None, None, money(payout - earned))
            )
        attainment = (
            None
            if quota == 0
            else _round_fraction(Fraction(d.credited) / Fraction(quota), 6).quantize(Decimal("0.000001"))
        )
        statements[key] = Statement(
            person,
            plan_id,
            period_start,
            quota,
            money(d.credited),
            attainment,
            money(d.commission),
            money(d.spiffs),
            money(d.clawbacks),
            money(earned),
            money(draw_paid),
            money(carried),
            money(payout),
            key in quota_of,
        )
        lines.extend(d.lines)
    lines.extend(uncredited)
    return statements, lines


def _bands(plan: Plan, quota: Decimal):
    """(lo, hi, band_from, band_to, rate) in money; lo/hi None = unbounded."""
    if quota == 0:
        first = plan.tiers[0]
        return [(None, None, first.band_from, first.band_to, first.rate)]
    cap = money(plan.cap * quota) if plan.cap is not None else None
    bands = []
    for tier in plan.tiers:
        lo = money(tier.band_from * quota)
        hi = money(tier.band_to * quota) if tier.band_to is not None else None
        if cap is not None:
            if lo >= cap:
                continue
            hi = cap if hi is None else min(hi, cap)
        bands.append((lo, hi, tier.band_from, tier.band_to, tier.rate))
    if cap is not None:
        bands.append((cap, None, plan.cap, None, Decimal(0)))
    return bands


def _line_order(line: Line):
    types = ("commission", "spiff", "clawback", "draw", "uncredited")
    return (
        line.employee_number or "",
        line.plan_id or "",
        line.period_start,
        types.index(line.line_type),
        line.opportunity_id or "",
        line.band_from is None,
        line.band_from or Decimal(0),
    )


def compute_statements(
    exports_dir: Path, as_of: dt.date, fiscal_year_start_month: int = 1
) -> dict[tuple[str, str, dt.date], Statement]:
    """One statement per (employee_number, plan_id, period_start)."""
    return _compute(exports_dir, as_of, fiscal_year_start_month)[0]


def compute_lines(exports_dir: Path, as_of: dt.date, fiscal_year_start_month: int = 1) -> list[Line]:
    """The lines behind the statements, plus the uncredited lines."""
    return sorted(_compute(exports_dir, as_of, fiscal_year_start_month)[1], key=_line_order)


def compute(exports_dir: Path, as_of: dt.date, fiscal_year_start_month: int = 1):
    """Both at once: ``(statements, lines)``."""
    statements, lines = _compute(exports_dir, as_of, fiscal_year_start_month)
    return statements, sorted(lines, key=_line_order)


if __name__ == "__main__":  # python tests/commission_oracle.py <exports> <as-of> [fy start month]
    import sys

    found_statements, found_lines = compute(
        Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1
    )
    print(f"{len(found_statements)} statements, {len(found_lines)} lines")
    for kind in ("commission", "spiff", "clawback", "draw", "uncredited"):
        print(f"  {kind}: {sum(1 for line in found_lines if line.line_type == kind)}")
