"""Seeded, deterministic generator of a realistic demo drop folder.

It writes, in the exact formats of ``shared/spec/inputs.md``, the exports a sales-ops
team receives: a Salesforce data export, a Stripe export, a BambooHR report with an
ATS export, the sales-ops planning spreadsheets (including ``comp_plans.yaml`` in the
shape of ``shared/spec/commissions.md``) and an NPS export. Two deliveries are
written: a full one dated ``as_of - 1 day`` and a partial one dated ``as_of`` that
re-delivers changed, deleted and new records (upserts by id).

The same ``seed``, ``scale`` and ``as_of`` always give byte-identical files: all
randomness comes from one ``random.Random(seed)``, nothing reads the clock, and no
output depends on set or hash ordering. Standard library + openpyxl only.

Usage::

    python -m demo_exports --out /tmp/exports --scale 1 --seed 7 --as-of 2026-11-26
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import csv
import heapq
import io
import math
import random
import re
import sys
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

__all__ = ["generate_exports", "generate_next_delivery", "main"]

# --------------------------------------------------------------------------------------
# Constants of the sales process and the systems' vocabularies
# --------------------------------------------------------------------------------------

# (StageName, default Probability, ForecastCategoryName, OpportunityHistory.ForecastCategory)
STAGES = (
    ("Prospecting", 10, "Pipeline", "Pipeline"),
    ("Qualification", 20, "Pipeline", "Pipeline"),
    ("Value Proposition", 50, "Best Case", "BestCase"),
    ("Negotiation/Review", 80, "Commit", "Forecast"),
    ("Closed Won", 100, "Closed", "Closed"),
    ("Closed Lost", 0, "Omitted", "Omitted"),
)
STAGE_NAME = tuple(s[0] for s in STAGES)
STAGE_PROB = tuple(str(s[1]) for s in STAGES)
STAGE_FC = tuple(s[2] for s in STAGES)
STAGE_FC_API = tuple(s[3] for s in STAGES)
WON_STAGE, LOST_STAGE = 4, 5

WON, LOST, OPEN = "won", "lost", "open"
NB, EB, RENEWAL = "New Business", "Existing Business", "Renewal"

LEAD_SOURCES = ("Web", "Outbound", "Partner", "Event", "Referral")
NB_SOURCE_WEIGHTS = (30, 25, 15, 15, 15)
EB_SOURCE_WEIGHTS = (20, 30, 10, 10, 30)

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_WEIGHTS = (45, 35, 20)
SEGMENT_BASE_AMOUNT = {"SMB": 12000, "Mid-Market": 32000, "Enterprise": 80000}
TYPE_AMOUNT_FACTOR = {NB: 1.0, EB: 0.45, RENEWAL: 0.85}

INDUSTRIES = (
    "Technology",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Media",
    "Logistics",
    "Energy",
    "Hospitality",
    "Telecommunications",
    "Government",
)
COUNTRIES = {
    "AMER": (("United States", 78), ("Canada", 12), ("Mexico", 5), ("Brazil", 5)),
    "EMEA": (("United Kingdom", 35), ("Germany", 25), ("France", 15), ("Netherlands", 10), ("Sweden", 8), ("Spain", 7)),
}
LOCATIONS = {
    "AMER": ("New York, NY", "San Francisco, CA", "Austin, TX", "Chicago, IL", "Remote - US", "Toronto, ON"),
    "EMEA": ("London, UK", "Dublin, IE", "Berlin, DE", "Amsterdam, NL"),
}
DIVISIONS = {"AMER": "Americas", "EMEA": "EMEA"}

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "Lucas",
    "Mia",
    "Mateo",
    "Amelia",
    "Benjamin",
    "Harper",
    "Henry",
    "Evelyn",
    "Theodore",
    "Abigail",
    "Jack",
    "Emily",
    "Levi",
    "Ella",
    "Alexander",
    "Elizabeth",
    "Jackson",
    "Camila",
    "Daniel",
    "Luna",
    "Michael",
    "Sofia",
    "Samuel",
    "Avery",
    "Sebastian",
    "Mila",
    "Owen",
    "Aria",
    "Ethan",
    "Scarlett",
    "Aiden",
    "Penelope",
    "Wyatt",
    "Layla",
    "Julian",
    "Chloe",
    "David",
    "Victoria",
    "Leo",
    "Madison",
    "Asher",
    "Eleanor",
    "Gabriel",
    "Grace",
    "Carter",
    "Nora",
    "Isaac",
    "Riley",
    "Jayden",
    "Zoey",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Fatima",
    "Omar",
    "Sven",
    "Ingrid",
    "Lars",
    "Chiara",
    "Marco",
    "Aisha",
    "Kwame",
    "Yuki",
    "Hiro",
    "Ana",
    "Diego",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Kim",
    "Chen",
    "Singh",
    "Okafor",
    "Muller",
    "Schmidt",
    "Rossi",
    "Dubois",
    "Jensen",
    "Larsen",
    "Novak",
    "O'Brien",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Costa",
    "Murphy",
    "Kelly",
    "Sullivan",
    "Bauer",
    "Weber",
)
COMPANY_A = (
    "Blue",
    "North",
    "Bright",
    "Silver",
    "Red",
    "Summit",
    "Apex",
    "Clear",
    "Green",
    "Iron",
    "Swift",
    "Harbor",
    "Pine",
    "Cedar",
    "Golden",
    "Rapid",
    "Stellar",
    "Quantum",
    "Vertex",
    "Nimbus",
    "Atlas",
    "Crescent",
    "Evergreen",
    "Granite",
    "Lumen",
    "Nova",
    "Orbit",
    "Pioneer",
    "Prairie",
    "Redwood",
    "Sierra",
    "Solar",
    "Tidal",
    "Urban",
    "Vista",
    "Willow",
    "Zenith",
    "Coastal",
    "Alpine",
    "Beacon",
)
COMPANY_B = (
    "Logic",
    "Works",
    "Dynamics",
    "Systems",
    "Health",
    "Foods",
    "Analytics",
    "Freight",
    "Capital",
    "Retail",
    "Labs",
    "Networks",
    "Energy",
    "Media",
    "Robotics",
    "Software",
    "Partners",
    "Supply",
    "Motors",
    "Pharma",
    "Bank",
    "Insurance",
    "Textiles",
    "Studios",
    "Logistics",
    "Metrics",
    "Cloud",
    "Devices",
    "Outfitters",
    "Brewing",
    "Foundry",
    "Learning",
    "Clinics",
    "Realty",
    "Aero",
    "Marine",
)
COMPANY_END = ("", "", " Inc.", ", Inc.", " LLC", " Ltd", " Group", " Co.", " GmbH", " Holdings", " Corp.")

PRODUCTS = ("Platform", "Seats", "Support Plus")
NB_NAME_SUFFIX = ("New Business", "Platform", "Analytics Suite", "Initial Deployment", "Pilot Conversion")
EB_NAME_SUFFIX = ("Expansion", "Add-on Seats", "Upsell - Analytics", "Additional Business Unit")

TASK_SUBJECTS = (
    ("Call", "Call"),
    ("Discovery call", "Call"),
    ("Follow-up call", "Call"),
    ("Email", "Email"),
    ("Sent proposal", "Email"),
    ("Follow up", "Email"),
    ("Demo", "Meeting"),
    ("Pricing discussion", "Meeting"),
    ("Contract review", "Meeting"),
    ("Intro meeting", "Meeting"),
    ("Check-in", "Other"),
    ("Update opportunity notes", "Other"),
)
QUIRKY_TASK_SUBJECTS = (
    ('Follow up on "ROI" deck, pricing v2', "Email"),
    ('Call notes: budget, timeline\nNext step: send "MSA" draft', "Call"),
    ('Re: renewal, "urgent" - legal, procurement', "Email"),
)

CANDIDATE_SOURCES = ("LinkedIn", "Referral", "Careers Page", "Agency", "Indeed")
MARKETING_CHANNELS = (("Paid Search", 9000.0), ("Events", 6000.0), ("Content", 3000.0), ("Partners", 4000.0))

# --------------------------------------------------------------------------------------
# Dates, timestamps and ids
# --------------------------------------------------------------------------------------

EPOCH_ORD = date(1970, 1, 1).toordinal()
DAY = 86400
_DATE_STR: dict[int, str] = {}


def _day_ts(ordinal: int) -> int:
    """Unix epoch seconds of a date's midnight UTC."""
    return (ordinal - EPOCH_ORD) * DAY


def _ts_day(ts: int) -> int:
    return ts // DAY + EPOCH_ORD


def _dstr(ordinal: int) -> str:
    """YYYY-MM-DD of a date ordinal (cached: dates repeat a lot)."""
    s = _DATE_STR.get(ordinal)
    if s is None:
        s = _DATE_STR[ordinal] = date.fromordinal(ordinal).isoformat()
    return s


def _iso(ts: int) -> str:
    """Salesforce date-time: 2026-03-01T14:03:22.000Z."""
    d, s = divmod(ts, DAY)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{_dstr(d + EPOCH_ORD)}T{h:02d}:{m:02d}:{s:02d}.000Z"


def _iso_plain(ts: int) -> str:
    """ISO 8601 UTC without milliseconds: 2026-03-01T14:03:22Z."""
    d, s = divmod(ts, DAY)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{_dstr(d + EPOCH_ORD)}T{h:02d}:{m:02d}:{s:02d}Z"


def _quarter_of(ordinal: int) -> tuple[int, int]:
    d = date.fromordinal(ordinal)
    return d.year, (d.month - 1) // 3 + 1


def _quarter_start(year: int, quarter: int) -> int:
    return date(year, 3 * quarter - 2, 1).toordinal()


def _quarter_end(year: int, quarter: int) -> int:
    m = 3 * quarter
    return date(year, m, calendar.monthrange(year, m)[1]).toordinal()


def _month_start(ordinal: int) -> int:
    d = date.fromordinal(ordinal)
    return date(d.year, d.month, 1).toordinal()


def _add_months_ts(start_ts: int, months: int) -> int:
    """Stripe billing anchor arithmetic: same day of month (clamped), same time of day."""
    d = date.fromordinal(_ts_day(start_ts))
    tod = start_ts % DAY
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    day = min(d.day, calendar.monthrange(y, m)[1])
    return _day_ts(date(y, m, day).toordinal()) + tod


def _period_boundary(start_ts: int, interval: str, k: int) -> int:
    if interval == "week":
        return start_ts + k * 7 * DAY
    if interval == "month":
        return _add_months_ts(start_ts, k)
    return _add_months_ts(start_ts, 12 * k)


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _b62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(B62[r])
    return "".join(reversed(out))


def _sf_checksum(id15: str) -> str:
    """The 3-character case-safe suffix that turns a 15-char Salesforce Id into 18 chars."""
    out = []
    for i in range(3):
        bits = 0
        for j, ch in enumerate(id15[5 * i : 5 * i + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << j
        out.append(_SF_SUFFIX[bits])
    return "".join(out)


class _SfIds:
    """Deterministic 18-character Salesforce Ids from per-object counters."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    def new(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        id15 = f"{prefix}8d000{_b62(n * 7919 + 3844, 7)}"
        return id15 + _sf_checksum(id15)


_STRIPE_SPACE = 62**14
_STRIPE_MULT = 0x9E3779B97F4A7C15 % _STRIPE_SPACE  # odd and not a multiple of 31: a bijection mod 62**14
if _STRIPE_MULT % 2 == 0 or _STRIPE_MULT % 31 == 0:  # pragma: no cover - guards the constant
    _STRIPE_MULT += 1


class _StripeIds:
    """Deterministic, random-looking, collision-free Stripe ids (cus_…, sub_…, in_…)."""

    def __init__(self, seed: int) -> None:
        self.counters: dict[str, int] = {}
        self.offset = (seed * 1_000_003 + 12345) % _STRIPE_SPACE

    def new(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}_{_b62((n * _STRIPE_MULT + self.offset) % _STRIPE_SPACE, 14)}"


def _money(value: float) -> str:
    return f"{value:.2f}"


def _bamboo_money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f} USD"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _round_to(value: float, step: int) -> int:
    return round(value / step) * step


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


class _Person:
    __slots__ = (
        "dept",
        "eid",
        "email",
        "first",
        "hire",
        "history",
        "kind",
        "last",
        "pay_per",
        "pay_rate",
        "perf",
        "region",
        "segment",
        "status",
        "term",
        "term_d2",
        "user_id",
        "variable",
    )

    def __init__(self, eid, first, last, email, kind, region, hire, dept):
        self.eid, self.first, self.last, self.email = eid, first, last, email
        self.kind, self.region, self.hire, self.dept = kind, region, hire, dept
        self.term = None
        self.term_d2 = None
        self.status = "Full-Time"
        self.pay_rate = 0.0
        self.pay_per = "Year"
        self.variable = None
        self.history: list[list] = []  # [effective ordinal, title, supervisor eid, department, division, location]
        self.user_id = None
        self.perf = 1.0
        self.segment = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def title(self) -> str:
        return self.history[-1][1]

    @property
    def supervisor(self) -> str:
        return self.history[-1][2]

    def title_at(self, day: int) -> str:
        title = self.history[0][1]
        for row in self.history:
            if row[0] <= day:
                title = row[1]
            else:
                break
        return title

    def supervisor_at(self, day: int) -> str:
        sup = self.history[0][2]
        for row in self.history:
            if row[0] <= day:
                sup = row[2]
            else:
                break
        return sup

    def active_on(self, day: int) -> bool:
        return self.hire <= day and (self.term is None or self.term >= day)


class _Account:
    __slots__ = (
        "busy_until",
        "country",
        "created_ts",
        "deleted",
        "employees",
        "first_win_source",
        "first_win_ts",
        "has_won",
        "id",
        "industry",
        "is_customer",
        "last_mod_ts",
        "name",
        "owner",
        "region",
        "revenue",
        "segment",
        "slug",
        "territory",
    )


class _Opp:
    __slots__ = (
        "account",
        "amount",
        "close_day",
        "close_ts",
        "created_day",
        "created_ts",
        "d2_deleted",
        "deleted",
        "end_day",
        "id",
        "idx",
        "last_mod",
        "lead_id",
        "name",
        "null_init",
        "outcome",
        "owner",
        "owner0",
        "path",
        "region",
        "source",
        "split",
        "stage",
        "type",
    )


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, out_dir: Path, scale: float, seed: int, as_of: date) -> None:
        if scale <= 0:
            raise ValueError("scale must be > 0")
        self.out = Path(out_dir)
        self.scale = float(scale)
        self.seed = seed
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.d1_date = as_of - timedelta(days=1)
        self.D1 = self.d1_date.toordinal()  # the full delivery's day
        self.D2 = as_of.toordinal()  # the partial delivery's day
        self.start = (as_of - timedelta(days=730)).toordinal()
        self.start_ts = _day_ts(self.start)
        self.T1 = _day_ts(self.D2)  # end (exclusive) of everything in delivery 1
        self.T2 = self.T1 + DAY  # end (exclusive) of delivery 2
        self.d1_dir = self.d1_date.isoformat()
        self.d2_dir = as_of.isoformat()
        self.sf = _SfIds()
        self.st = _StripeIds(seed)
        self.files: list[Path] = []
        self.used_names: set[tuple[str, str]] = set()
        self.used_emails: set[str] = set()
        self.used_companies: set[str] = set()
        year, quarter = _quarter_of(self.start)
        self.plan_start = _quarter_start(year, quarter)  # first fiscal quarter of the span

    # ---------------------------------------------------------------- output helpers
    def _path(self, source: str, delivery: str, name: str) -> Path:
        path = self.out / source / delivery / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(path)
        return path

    def _csv(self, source: str, delivery: str, name: str, header, bom: bool = False):
        path = self._path(source, delivery, name)
        handle = open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8")  # noqa: SIM115 (the caller closes it)
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        return handle, writer

    def _write_csv(self, source, delivery, name, header, rows, bom=False) -> None:
        handle, writer = self._csv(source, delivery, name, header, bom)
        with handle:
            writer.writerows(rows)

    # ---------------------------------------------------------------- random helpers
    def _between(self, lo: int, hi: int) -> int:
        return lo if hi <= lo else self.rng.randint(lo, hi)

    def _sample_day(self, lo: int, hi: int, growth: float = 0.6) -> int:
        """A day in [lo, hi] with a density growing linearly by ``growth`` over the range."""
        if hi <= lo:
            return lo
        c = self.rng.random() * (1 + growth / 2)
        x = (-1 + math.sqrt(1 + 2 * growth * c)) / growth
        return min(hi, lo + int(x * (hi - lo + 1)))

    def _person_name(self) -> tuple[str, str]:
        rng = self.rng
        for _ in range(50):
            pair = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            if pair not in self.used_names:
                break
        self.used_names.add(pair)
        return pair

    def _work_email(self, first: str, last: str) -> str:
        base = re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower())
        email, n = base, 1
        while email in self.used_emails:
            n += 1
            email = f"{base}{n}"
        self.used_emails.add(email)
        return f"{email}@northwind-demo.com"

    def _company(self, unique: bool = True) -> str:
        rng = self.rng
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}{rng.choice(COMPANY_END)}"
        if not unique:
            return name
        base, n = name, 1
        while name in self.used_companies:
            n += 1
            name = f"{base} {n}" if not base.endswith((".", "Ltd", "LLC", "GmbH")) else f"{base} ({n})"
        self.used_companies.add(name)
        return name

    # ================================================================ HR
    def build_people(self) -> None:
        rng = self.rng
        scale = self.scale
        n_reps = max(4, round(30 * scale))
        n_mgr = max(2, round(n_reps / 7))
        n_dir = 0 if n_mgr < 5 else math.ceil(n_mgr / 6)
        n_other = max(6, round(n_reps * 0.12))
        start, D1 = self.start, self.D1
        self.people: list[_Person] = []
        counter = [1000]

        def new_person(kind, region, hire, dept, title, sup, location=None):
            counter[0] += 1
            first, last = self._person_name()
            p = _Person(str(counter[0]), first, last, self._work_email(first, last), kind, region, hire, dept)
            division = DIVISIONS[region] if dept == "Sales" else "Corporate"
            p.history.append([hire, title, sup, dept, division, location or rng.choice(LOCATIONS[region])])
            self.people.append(p)
            return p

        # VP of Sales: the top of the sales hierarchy (no supervisor).
        vp = new_person("vp", "AMER", start - self._between(700, 1500), "Sales", "VP of Sales", "", "New York, NY")
        vp.pay_rate, vp.variable = 230000.0, 150000.0
        self.vp = vp

        mgr_regions = ["EMEA" if i % 3 == 2 else "AMER" for i in range(n_mgr)]
        dir_regions = ["EMEA" if i % 3 == 2 else "AMER" for i in range(n_dir)]
        if n_dir and "EMEA" in mgr_regions and "EMEA" not in dir_regions and n_dir > 1:
            dir_regions[-1] = "EMEA"
        self.directors = []
        for i in range(n_dir):
            region = dir_regions[i]
            d = new_person(
                "director",
                region,
                start - self._between(300, 1400),
                "Sales",
                f"Director of Sales, {DIVISIONS[region]}",
                vp.eid,
            )
            d.pay_rate = float(_round_to(rng.uniform(165000, 195000), 500))
            d.variable = float(_round_to(rng.uniform(80000, 110000), 500))
            self.directors.append(d)

        self.managers = []
        for i in range(n_mgr):
            region = mgr_regions[i]
            same = [d for d in self.directors if d.region == region] or self.directors
            sup = same[i % len(same)].eid if same else vp.eid
            title = "Senior Sales Manager" if rng.random() < 0.3 else "Sales Manager"
            m = new_person("manager", region, start - self._between(100, 1200), "Sales", title, sup)
            m.pay_rate = float(_round_to(rng.uniform(125000, 155000), 500))
            m.variable = float(_round_to(rng.uniform(50000, 80000), 500))
            m.segment = SEGMENTS[i % 3]
            self.managers.append(m)
        mgr_by_eid = {m.eid: m for m in self.managers}

        self.reps = []
        last = n_reps - 1
        n_terminated = 0
        for j in range(n_reps):
            mgr = self.managers[j % n_mgr]
            region = mgr.region
            if j < 2:
                kind = "ae"
            elif j == 2:
                kind = "sdr"
            else:
                kind = "sdr" if rng.random() < 0.25 else "ae"
            if j == last and j >= 3:
                # a recent hire, mid-quarter: exercises ramps and partial months
                q_start = _quarter_start(*_quarter_of(D1))
                hire = q_start + self._between(15, 40)
                if hire > D1 - 20:
                    hire = D1 - self._between(40, 60)
            elif j < 2 or rng.random() < 0.55:
                hire = start - self._between(30, 1400)
            else:
                hire = self._between(start + 20, D1 - 30)
            if kind == "sdr":
                title = "Sales Development Representative"
            elif j == 1:
                title = "Account Executive"  # promoted to Senior below (job history)
            else:
                title = "Senior Account Executive" if (hire < start and rng.random() < 0.3) else "Account Executive"
            r = new_person(kind, region, hire, "Sales", title, mgr.eid)
            r.perf = rng.uniform(0.6, 1.5)
            if j >= 2 and j != last and hire < D1 - 240 and rng.random() < 0.12:
                r.term = self._between(max(hire + 150, start + 30), D1 - 5)
                n_terminated += 1
            self.reps.append(r)
        if n_terminated == 0:
            for r in reversed(self.reps[2:-1] if len(self.reps) > 3 else []):
                if r.hire < D1 - 240:
                    r.term = self._between(max(r.hire + 150, start + 30), D1 - 5)
                    break

        # Promotions and manager changes -> job history.
        for j, r in enumerate(self.reps):
            changes = []  # (day, field, value)
            lo = max(r.hire + 120, start + 30)
            hi = (r.term - 10) if r.term else D1 - 30
            if hi <= lo:
                continue
            if r.kind == "sdr" and r.hire < D1 - 300 and rng.random() < 0.4:
                changes.append((self._between(lo, hi), "title", "Account Executive"))
            elif j == 1 or (r.title == "Account Executive" and r.hire < D1 - 300 and rng.random() < 0.15):
                changes.append((self._between(lo, hi), "title", "Senior Account Executive"))
            if n_mgr >= 2 and (j == 0 or rng.random() < 0.12):
                current = mgr_by_eid[r.supervisor]
                others = [m for m in self.managers if m is not current and m.region == current.region]
                others = others or [m for m in self.managers if m is not current]
                changes.append((self._between(lo, hi), "sup", rng.choice(others).eid))
            changes.sort(key=lambda c: (c[0], c[1]))
            for day, field, value in changes:
                prev = r.history[-1]
                row = list(prev)
                row[0] = day
                if field == "title":
                    row[1] = value
                else:
                    row[2] = value
                if prev[0] == day:
                    r.history[-1] = row
                else:
                    r.history.append(row)
            if any(row[1] == "Account Executive" for row in r.history) and r.kind == "sdr":
                r.kind = "ae"  # promoted SDR: an AE now
        for r in self.reps:
            title = r.title
            if title == "Sales Development Representative":
                r.pay_rate = float(_round_to(rng.uniform(52000, 65000), 500))
                r.variable = float(_round_to(rng.uniform(18000, 28000), 500))
            elif title == "Senior Account Executive":
                r.pay_rate = float(_round_to(rng.uniform(95000, 120000), 500))
                r.variable = float(_round_to(r.pay_rate * rng.uniform(0.8, 1.0), 500))
            else:
                r.pay_rate = float(_round_to(rng.uniform(70000, 95000), 500))
                r.variable = float(_round_to(r.pay_rate * rng.uniform(0.8, 1.0), 500))
            if r.term is not None:
                r.status = "Terminated"
        if len(self.reps) >= 10:
            for r in self.reps[3:]:
                if r.title == "Sales Development Representative" and r.term is None:
                    r.status = "Part-Time"
                    r.pay_rate = float(_round_to(r.pay_rate * 0.6, 500))
                    r.variable = float(_round_to(r.variable * 0.6, 500))
                    break

        # A few people outside sales.
        depts = (
            ("Finance", "Director of Finance", "Financial Analyst"),
            ("Engineering", "VP of Engineering", "Software Engineer"),
            ("Marketing", "Director of Marketing", "Marketing Manager"),
            ("People", "Head of People", "HR Generalist"),
        )
        heads = {}
        self.others = []
        for k in range(n_other):
            dept, head_title, title = depts[k % len(depts)]
            head = heads.get(dept)
            contractor = k == n_other - 1
            if contractor:
                dept, title, head = "Marketing", "Contract Designer", heads.get("Marketing")
            if head is None:
                p = new_person("other", "AMER", start - self._between(200, 1500), dept, head_title, "")
                heads[dept] = p
                p.pay_rate = float(_round_to(rng.uniform(150000, 190000), 500))
            else:
                hire = self._between(start - 900, D1 - 60)
                p = new_person("other", "AMER", hire, dept, title, head.eid)
                p.pay_rate = float(_round_to(rng.uniform(70000, 140000), 500))
            if contractor:
                p.status, p.pay_per = "Contractor", "Hour"
                p.pay_rate = float(rng.choice((45, 50, 55, 60, 65, 75)))
            self.others.append(p)
        staff = [p for p in self.others if p.history[0][2] and p.status != "Contractor"]
        if len(staff) >= 2 and staff[0].hire < D1 - 200:  # one non-sales leaver
            staff[0].term = self._between(max(staff[0].hire + 90, start + 60), D1 - 20)
            staff[0].status = "Terminated"

        self.sales_people = [vp, *self.directors, *self.managers, *self.reps]
        self.by_eid = {p.eid: p for p in self.people}

        # D2: one active, tenured AE leaves (reported in the next night's partial HR export).
        candidates = [r for r in self.reps[1:] if r.term is None and r.hire < start and r.kind == "ae"]
        self.d2_leaver = candidates[-1] if candidates else None
        if self.d2_leaver is not None:
            self.d2_leaver.term_d2 = self.D2
        promotable = [
            r for r in self.reps if r.term is None and r.title == "Account Executive" and r is not self.d2_leaver
        ]
        self.d2_promoted = promotable[0] if promotable else None

    def build_users(self) -> None:
        """CRM users and role hierarchy, consistent with the HR reporting lines."""
        sf = self.sf
        self.roles = []  # (Id, Name, ParentRoleId, DeveloperName)
        vp_role = sf.new("00E")
        self.roles.append((vp_role, "VP, Sales", "", "VP_Sales"))
        dir_role = {}
        for d in self.directors:
            rid = sf.new("00E")
            self.roles.append((rid, f"Sales Director - {d.name}", vp_role, f"Sales_Director_{d.eid}"))
            dir_role[d.eid] = rid
        self.mgr_role, self.rep_role = {}, {}
        for m in self.managers:
            rid = sf.new("00E")
            parent = dir_role.get(m.supervisor, vp_role)
            self.roles.append((rid, f"Sales Manager - {m.name}", parent, f"Sales_Manager_{m.eid}"))
            self.mgr_role[m.eid] = rid
            rrid = sf.new("00E")
            self.roles.append((rrid, f"Sales Rep - {m.name} Team", rid, f"Sales_Rep_{m.eid}"))
            self.rep_role[m.eid] = rrid
        self.admin_role = sf.new("00E")
        self.roles.append((self.admin_role, "System Administrator", "", "System_Administrator"))
        for p in self.sales_people:
            p.user_id = sf.new("005")
        self.role_of = {self.vp.eid: vp_role}
        self.role_of.update(dir_role)
        self.role_of.update(self.mgr_role)
        for r in self.reps:
            self.role_of[r.eid] = self.rep_role[r.supervisor]
        self.system_users = [
            (sf.new("005"), "Integration User", "integration@northwind-demo.com", "", "Integration"),
            (
                sf.new("005"),
                "Sales Ops Admin",
                "salesops-admin@northwind-demo.com",
                self.admin_role,
                "System Administrator",
            ),
        ]

    # ================================================================ rep selection
    def build_buckets(self) -> None:
        """Per week, the reps active for the whole week with their activity weights."""
        start = self.start
        n_weeks = (self.D2 - start) // 7 + 1
        self.buckets = []
        for w in range(n_weeks):
            ws, we = start + 7 * w, start + 7 * w + 6
            reps, cum, total = [], [], 0.0
            for r in self.reps:
                if r.hire <= ws and (r.term is None or r.term >= we):
                    title = r.title_at(ws)
                    weight = (
                        0.6
                        if title == "Sales Development Representative"
                        else (1.25 if title == "Senior Account Executive" else 1.0)
                    )
                    tenure_months = (ws - r.hire) / 30.4
                    weight *= (
                        0.25 if tenure_months < 1 else 0.5 if tenure_months < 2 else 0.75 if tenure_months < 3 else 1.0
                    )
                    weight *= r.perf
                    if r.status == "Part-Time":
                        weight *= 0.5
                    total += weight
                    reps.append(r)
                    cum.append(total)
            self.buckets.append((reps, cum, total))

    def _bucket(self, day: int):
        w = min(max((day - self.start) // 7, 0), len(self.buckets) - 1)
        return self.buckets[w]

    def pick_rep(self, day: int) -> _Person:
        reps, cum, total = self._bucket(day)
        if not reps:
            active = [r for r in self.reps if r.active_on(day)] or self.reps[:2]
            return self.rng.choice(active)
        return reps[min(bisect.bisect_left(cum, self.rng.random() * total), len(reps) - 1)]

    def pick_rep_near(
        self, day: int, supervisor: str, exclude: _Person | None = None, hired_by: int | None = None
    ) -> _Person:
        """A rep active in ``day``'s week, preferably of ``supervisor``'s team (and employed since ``hired_by``)."""
        reps, _, _ = self._bucket(day)
        reps = [r for r in reps if r is not exclude]
        if hired_by is not None:
            reps = [r for r in reps if r.hire <= hired_by] or reps
        team = [r for r in reps if r.supervisor_at(day) == supervisor]
        if team:
            return self.rng.choice(team)
        if reps:
            return self.rng.choice(reps)
        return self.pick_rep(day)

    # ================================================================ CRM: accounts + opportunities
    def _new_account(self, owner: _Person, created_ts: int) -> _Account:
        rng = self.rng
        a = _Account()
        a.id = self.sf.new("001")
        a.name = self._company()
        a.slug = re.sub(r"[^a-z0-9]+", "", a.name.lower())[:24] or "account"
        day = _ts_day(created_ts)
        sup = owner.supervisor_at(day)
        mgr = self.by_eid.get(sup)
        territory_segment = mgr.segment if (mgr is not None and mgr.segment) else None
        if territory_segment and rng.random() < 0.6:
            a.segment = territory_segment
        else:
            a.segment = rng.choices(SEGMENTS, SEGMENT_WEIGHTS)[0]
        a.region = owner.region
        names, weights = zip(*COUNTRIES[a.region], strict=True)
        a.country = rng.choices(names, weights)[0]
        a.industry = rng.choice(INDUSTRIES)
        lo, hi = {"SMB": (10, 200), "Mid-Market": (200, 2000), "Enterprise": (2000, 50000)}[a.segment]
        a.employees = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        a.revenue = _round_to(a.employees * rng.uniform(80000, 250000), 1000)
        a.owner = owner
        a.created_ts = max(self.start_ts - 90 * DAY, created_ts - self._between(0, 20 * DAY))
        a.deleted = False
        a.is_customer = False
        a.first_win_ts = None
        a.busy_until = 0
        a.has_won = False
        a.first_win_source = None
        a.last_mod_ts = created_ts
        a.territory = self.territory_of_manager.get(sup) or self.territories[0][0]
        self.accounts.append(a)
        return a

    def build_territories(self) -> None:
        self.territories = []  # (territory_id, name, region, segment, owner eid)
        self.territory_of_manager = {}
        for k, m in enumerate(self.managers, start=1):
            tid = f"TER-{k:03d}"
            self.territories.append((tid, f"{m.region} {m.segment} {k}", m.region, m.segment, m.eid))
            self.territory_of_manager[m.eid] = tid

    def build_opportunities(self) -> None:
        rng = self.rng
        D1, start = self.D1, self.start
        n = max(100, round(2000 * self.scale))
        specs = []
        for i in range(n):
            r = rng.random()
            outcome = WON if r < 0.45 else LOST if r < 0.80 else OPEN
            if outcome != OPEN:
                if outcome == WON:
                    cycle = int(rng.lognormvariate(math.log(55), 0.5))
                else:
                    cycle = int(rng.lognormvariate(math.log(40), 0.6))
                cycle = max(1, min(cycle, 300, D1 - start))
                created_day = self._sample_day(start, D1 - cycle)
                close_day = created_day + cycle
                if outcome == WON and rng.random() < 0.3:  # quarter-end hockey stick
                    qe = _quarter_end(*_quarter_of(close_day))
                    cand = qe - rng.randint(0, 10)
                    if close_day <= cand <= D1:
                        close_day = cand
            else:
                created_day = max(start, D1 - int(200 * rng.random() ** 1.6))
                if rng.random() < 0.85:
                    close_day = D1 + rng.randint(1, 180)
                else:  # stale pipeline: close date already passed, still open
                    close_day = self._between(created_day, D1)
            created_ts = _day_ts(created_day) + rng.randint(13 * 3600, 23 * 3600)
            close_ts = None
            if outcome != OPEN:
                close_ts = _day_ts(close_day) + rng.randint(14 * 3600, DAY - 120)
                if close_ts <= created_ts:
                    close_ts = created_ts + rng.randint(60, 3000)
            specs.append((created_ts, i, outcome, close_day, close_ts))
        specs.sort()

        self.accounts: list[_Account] = []
        self.opps: list[_Opp] = []
        pending: list = []
        customers: list[_Account] = []
        prospects: list[_Account] = []
        seq = 0
        for created_ts, _i, outcome, close_day, close_ts in specs:
            while pending and pending[0][0] <= created_ts:
                win_ts, _, acct = heapq.heappop(pending)
                if not acct.is_customer:
                    acct.is_customer = True
                    acct.first_win_ts = win_ts
                    customers.append(acct)
            cday = _ts_day(created_ts)
            closed = outcome != OPEN
            end_day = close_day if closed else D1
            owner = self.pick_rep(cday)
            acct = None
            if customers and rng.random() < 0.33:
                acct = customers[rng.randrange(len(customers))]
                typ = RENEWAL if (created_ts - acct.first_win_ts > 300 * DAY and rng.random() < 0.5) else EB
                if acct.owner.active_on(cday) and acct.owner.active_on(end_day):
                    owner = acct.owner
            else:
                typ = NB
                if prospects and rng.random() < 0.15:
                    for _ in range(3):
                        cand = prospects[rng.randrange(len(prospects))]
                        if not cand.is_customer and cand.busy_until < created_ts:
                            acct = cand
                            break
                if acct is None:
                    acct = self._new_account(owner, created_ts)
                    prospects.append(acct)
                acct.busy_until = close_ts if closed else 1 << 62
                if outcome == WON:
                    seq += 1
                    heapq.heappush(pending, (close_ts, seq, acct))
            o = _Opp()
            o.idx = len(self.opps)
            o.id = self.sf.new("006")
            o.created_ts, o.created_day = created_ts, cday
            o.outcome, o.close_day, o.close_ts, o.end_day = outcome, close_day, close_ts, end_day
            o.account, o.type, o.owner0 = acct, typ, owner
            if owner.term is not None and owner.term < end_day:
                o.owner = self.pick_rep_near(end_day, owner.supervisor_at(owner.term), exclude=owner, hired_by=cday)
            else:
                o.owner = owner
            weights = NB_SOURCE_WEIGHTS if typ == NB else EB_SOURCE_WEIGHTS
            if owner.title_at(cday) == "Sales Development Representative" and typ == NB:
                weights = (45, 45, 0, 5, 5)
            o.source = rng.choices(LEAD_SOURCES, weights)[0]
            base = SEGMENT_BASE_AMOUNT[acct.segment] * TYPE_AMOUNT_FACTOR[typ]
            if owner.title_at(cday) == "Sales Development Representative":
                base *= 0.5
            base *= owner.perf**0.3
            o.amount = max(1000, _round_to(base * rng.lognormvariate(0, 0.45), 250))
            s0 = 0 if rng.random() < 0.7 else 1
            if outcome == WON:
                path = list(range(s0, 4))
                if len(path) >= 3 and rng.random() < 0.15:
                    path.pop(rng.randrange(1, len(path) - 1))
                path.append(WON_STAGE)
            elif outcome == LOST:
                m = max(s0, rng.choices((0, 1, 2, 3), (30, 30, 25, 15))[0])
                path = [*list(range(s0, m + 1)), LOST_STAGE]
            else:
                c = max(s0, rng.choices((0, 1, 2, 3), (30, 30, 25, 15))[0])
                path = list(range(s0, c + 1))
            o.path = path
            o.stage = path[-1]
            o.region = owner.region
            if typ == NB:
                suffix = rng.choice(NB_NAME_SUFFIX)
            elif typ == EB:
                suffix = rng.choice(EB_NAME_SUFFIX)
            else:
                suffix = f"Renewal FY{date.fromordinal(close_day).year}"
            o.name = f"{acct.name} - {suffix}"
            o.deleted = o.d2_deleted = False
            o.null_init = outcome == OPEN and rng.random() < 0.03
            o.last_mod = created_ts
            o.lead_id = ""
            o.split = None
            if outcome == WON:
                acct.has_won = True
                if acct.first_win_source is None:
                    acct.first_win_source = o.source
            self.opps.append(o)

        # Names with the RFC 4180 quirks (comma, doubled quote, embedded newline).
        quirky = [self.opps[0]] + [o for o in self.opps[1:] if rng.random() < 0.003]
        for k, o in enumerate(quirky):
            o.name = f'{o.account.name} - "Platform" pilot, phase {k + 2}\n(security review pending)'

        # Deleted in the full delivery: a few open or lost opportunities.
        pool = [o for o in self.opps[1:] if o.outcome in (OPEN, LOST)]
        for o in rng.sample(pool, min(len(pool), max(1, round(0.003 * n)))):
            o.deleted = True

        # A few big New Business wins (SPIFF triggers).
        big = sorted(
            (o for o in self.opps if o.outcome == WON and o.type == NB and not o.deleted),
            key=lambda o: (-o.amount, o.idx),
        )
        need = max(2, round(0.004 * n))
        for o in big[:need]:
            if o.amount < 100000:
                o.amount = 100000 + 2500 * rng.randint(0, 20)

        # Splits: about 10 % of won deals, between the owner and a teammate.
        won = [o for o in self.opps if o.outcome == WON and not o.deleted]
        for k, o in enumerate(won):
            if rng.random() < 0.10 or (k == 0 and len(won) > 0 and not any(w.split for w in won)):
                other = self.pick_rep_near(o.close_day, o.owner.supervisor_at(o.close_day), exclude=o.owner)
                if other is o.owner:
                    continue
                pct = rng.choice(((60, 40), (50, 50), (70, 30), (75, 25)))
                o.split = (other, pct)

        # The partial delivery's plan: changes, deletions (decided now, so leads avoid them).
        opens = [o for o in self.opps if o.outcome == OPEN and not o.deleted]
        k_changed = min(len(opens), max(3, round(0.05 * len(opens))))
        self.d2_changed = sorted(rng.sample(opens, k_changed), key=lambda o: o.idx)
        changed_idx = {o.idx for o in self.d2_changed}
        pool = [o for o in self.opps if not o.deleted and o.outcome in (OPEN, LOST) and o.idx not in changed_idx]
        k_del = min(len(pool), max(2, round(0.01 * n)))
        self.d2_deleted = sorted(rng.sample(pool, k_del), key=lambda o: o.idx)
        for o in self.d2_deleted:
            o.d2_deleted = True

        # Junk accounts that were deleted (duplicates without opportunities).
        for _ in range(max(1, round(0.005 * len(self.accounts)))):
            owner = self.pick_rep(self._between(self.start, self.D1))
            a = self._new_account(owner, self._between(self.start_ts, self.T1 - DAY))
            a.deleted = True

    # ================================================================ CRM: leads
    def build_leads(self) -> None:
        rng = self.rng
        # Each lead: [created_ts, first, last, company, title, email, status, source, owner_id, conv_day, acct, opp,
        # deleted]
        leads = []
        titles = (
            "VP Operations",
            "Head of IT",
            "CFO",
            "Director of Sales",
            "Procurement Manager",
            "CTO",
            "Operations Manager",
            "Founder",
        )
        for o in self.opps:
            if o.type != NB or o.deleted or o.d2_deleted or rng.random() >= 0.45:
                continue
            lc = o.created_ts - rng.randint(1, 30) * DAY - rng.randint(0, 20000)
            if lc >= o.created_ts:
                lc = o.created_ts - 600
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = (
                f"{re.sub(r'[^a-z]', '', first.lower())}.{re.sub(r'[^a-z]', '', last.lower())}@{o.account.slug}.example"
            )
            leads.append(
                [
                    lc,
                    first,
                    last,
                    o.account.name,
                    rng.choice(titles),
                    email,
                    "Closed - Converted",
                    o.source,
                    o.owner0.user_id,
                    o.created_day,
                    o.account.id,
                    o,
                    False,
                ]
            )
        n_other = round(1.1 * len(self.opps))
        for _ in range(n_other):
            day = self._sample_day(self.start, self.D1)
            ts = _day_ts(day) + rng.randint(12 * 3600, 23 * 3600)
            age = self.D1 - day
            r = rng.random()
            if age < 30:
                status = "Open - Not Contacted" if r < 0.4 else "Working - Contacted"
            else:
                status = (
                    "Closed - Not Converted"
                    if r < 0.8
                    else "Working - Contacted"
                    if r < 0.95
                    else "Open - Not Contacted"
                )
            owner = self.pick_rep(day)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = self._company(unique=False)
            slug = re.sub(r"[^a-z0-9]+", "", company.lower())[:24]
            email = f"{re.sub(r'[^a-z]', '', first.lower())}.{re.sub(r'[^a-z]', '', last.lower())}@{slug}.example"
            source = rng.choices(LEAD_SOURCES, NB_SOURCE_WEIGHTS)[0]
            leads.append(
                [
                    ts,
                    first,
                    last,
                    company,
                    rng.choice(titles),
                    email,
                    status,
                    source,
                    owner.user_id,
                    None,
                    "",
                    None,
                    rng.random() < 0.003,
                ]
            )
        leads.sort(key=lambda row: (row[0], row[3], row[1], row[2]))
        header = [
            "Id",
            "IsDeleted",
            "FirstName",
            "LastName",
            "Company",
            "Title",
            "Email",
            "Status",
            "LeadSource",
            "OwnerId",
            "CreatedDate",
            "IsConverted",
            "ConvertedDate",
            "ConvertedAccountId",
            "ConvertedOpportunityId",
            "Rating",
        ]
        handle, w = self._csv("crm", self.d1_dir, "Lead.csv", header, bom=True)
        with handle:
            for row in leads:
                lid = self.sf.new("00Q")
                opp = row[11]
                if opp is not None:
                    opp.lead_id = lid
                converted = opp is not None
                rating = "Hot" if converted else rng.choice(("Warm", "Cold", ""))
                w.writerow(
                    (
                        lid,
                        _bool(row[12]),
                        row[1],
                        row[2],
                        row[3],
                        row[4],
                        row[5],
                        row[6],
                        row[7],
                        row[8],
                        _iso(row[0]),
                        _bool(converted),
                        _dstr(row[9]) if converted else "",
                        row[10],
                        opp.id if converted else "",
                        rating,
                    )
                )

    # ================================================================ CRM: history + tasks (streamed)
    def _events(self, o: _Opp):
        """The opportunity's history states: list of (ts, stage, amount, close_day)."""
        rng = self.rng
        path = o.path
        closed = o.outcome != OPEN
        c = o.created_ts
        end = o.close_ts if closed else self.T1 - 1
        fast = closed and end - c < 4 * 3600
        if fast:
            path = [path[0], path[-1]]
        n_adv = len(path) - 1
        body = ["s"] * (n_adv - 1 if closed else n_adv)
        if not fast:
            if rng.random() < (0.45 if not closed else 0.35):
                body.insert(rng.randint(0, len(body)), "p")
                if rng.random() < 0.25:
                    body.insert(rng.randint(0, len(body)), "p")
            if o.amount is not None and rng.random() < 0.3:
                body.insert(rng.randint(0, len(body)), "a")
        kinds = body + (["s"] if closed else [])
        n = len(kinds)
        if closed:
            times = sorted(rng.randint(c + 1, end - 1) for _ in range(n - 1)) if n > 1 else []
            times.append(end)
        else:
            times = sorted(rng.randint(c + 1, end) for _ in range(n))
        for i in range(1, n):
            if times[i] <= times[i - 1]:
                times[i] = times[i - 1] + 1
        cd0 = o.created_day
        F = o.close_day
        n_push = kinds.count("p")
        deltas = [rng.randint(20, 95) for _ in range(n_push)]
        if closed:
            ec = cd0 + rng.randint(14, 75)
        else:
            ec = max(cd0, F - sum(deltas)) if n_push else F
        A = o.amount
        amt = A
        if "a" in kinds:
            prev = max(1000, _round_to(A / rng.uniform(0.7, 1.35), 250))
            if prev == A:
                prev = A + 2500
            amt = prev
        pos = 0
        stage = path[0]
        states = [(c, stage, None if o.null_init else amt, ec)]
        pushes_done = 0
        for kind, t in zip(kinds, times, strict=False):
            if kind == "s":
                pos += 1
                stage = path[pos]
                if stage >= WON_STAGE:
                    ec = F
            elif kind == "p":
                pushes_done += 1
                if closed:
                    ec += deltas[pushes_done - 1]
                else:
                    ec = F if pushes_done == n_push else min(F, ec + deltas[pushes_done - 1])
            else:
                amt = A
            state = (t, stage, amt, ec)
            prev_state = states[-1]
            if prev_state[1:] == state[1:]:
                continue
            states.append(state)
        if closed:
            assert states[-1][1] == o.stage and states[-1][3] == F
        o.amount = states[-1][2]
        o.last_mod = states[-1][0]
        return states

    def write_history_and_tasks(self) -> None:
        rng = self.rng
        hist_header = [
            "Id",
            "OpportunityId",
            "StageName",
            "Amount",
            "Probability",
            "ForecastCategory",
            "CloseDate",
            "ExpectedRevenue",
            "CreatedDate",
            "IsDeleted",
        ]
        task_header = [
            "Id",
            "IsDeleted",
            "OwnerId",
            "WhoId",
            "WhatId",
            "Subject",
            "Type",
            "Status",
            "Priority",
            "ActivityDate",
            "IsClosed",
            "CreatedDate",
        ]
        hh, hw = self._csv("crm", self.d1_dir, "OpportunityHistory.csv", hist_header, bom=True)
        th, tw = self._csv("crm", self.d1_dir, "Task.csv", task_header, bom=True)
        sf_new = self.sf.new
        D1 = self.D1
        first_task = True
        with hh, th:
            for o in self.opps:
                deleted = _bool(o.deleted)
                for t, stage, amt, ec in self._events(o):
                    hw.writerow(
                        (
                            sf_new("008"),
                            o.id,
                            STAGE_NAME[stage],
                            "" if amt is None else f"{amt}.00",
                            STAGE_PROB[stage],
                            STAGE_FC_API[stage],
                            _dstr(ec),
                            "" if amt is None else _money(amt * STAGES[stage][1] / 100),
                            _iso(t),
                            deleted,
                        )
                    )
                # activity: 0-4 tasks per opportunity
                k = int(rng.random() * 4) + (1 if rng.random() < 0.6 else 0)
                end = o.close_ts if o.close_ts is not None else self.T1 - 1
                for _ in range(k):
                    t = rng.randint(o.created_ts, end)
                    day = _ts_day(t)
                    if (first_task and not o.deleted) or rng.random() < 0.005:
                        if first_task and not o.deleted:
                            subject, typ = QUIRKY_TASK_SUBJECTS[1]  # the embedded newline
                            first_task = False
                        else:
                            subject, typ = QUIRKY_TASK_SUBJECTS[rng.randrange(3)]
                    else:
                        subject, typ = TASK_SUBJECTS[rng.randrange(len(TASK_SUBJECTS))]
                    if day > D1 - 14 and o.outcome == OPEN and rng.random() < 0.4:
                        status, closed = ("Not Started" if rng.random() < 0.6 else "In Progress"), False
                        activity = min(D1, day + rng.randint(0, 7))
                    else:
                        status, closed, activity = "Completed", True, day
                    owner = o.owner0 if (o.owner0.term is None or day <= o.owner0.term) else o.owner
                    who = o.lead_id if (o.lead_id and rng.random() < 0.6) else ""
                    tdel = o.deleted or rng.random() < 0.003
                    tw.writerow(
                        (
                            sf_new("00T"),
                            _bool(tdel),
                            owner.user_id,
                            who,
                            o.id,
                            subject,
                            typ,
                            status,
                            "High" if rng.random() < 0.15 else "Normal",
                            _dstr(activity),
                            _bool(closed),
                            _iso(t),
                        )
                    )

    # ================================================================ CRM: the other D1 files
    OPP_HEADER = (
        "Id",
        "IsDeleted",
        "AccountId",
        "Name",
        "StageName",
        "Amount",
        "Probability",
        "CloseDate",
        "Type",
        "LeadSource",
        "IsClosed",
        "IsWon",
        "ForecastCategoryName",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
        "FiscalYear",
        "FiscalQuarter",
        "Region__c",
    )

    def _opp_row(self, o: _Opp, deleted: bool) -> tuple:
        s = o.stage
        year, quarter = _quarter_of(o.close_day)
        return (
            o.id,
            _bool(deleted),
            o.account.id,
            o.name,
            STAGE_NAME[s],
            "" if o.amount is None else f"{o.amount}.00",
            STAGE_PROB[s],
            _dstr(o.close_day),
            o.type,
            o.source,
            _bool(s >= WON_STAGE),
            _bool(s == WON_STAGE),
            STAGE_FC[s],
            o.owner.user_id,
            _iso(o.created_ts),
            _iso(o.last_mod),
            str(year),
            str(quarter),
            o.region,
        )

    ACCOUNT_HEADER = (
        "Id",
        "IsDeleted",
        "Name",
        "Type",
        "Industry",
        "BillingCountry",
        "NumberOfEmployees",
        "AnnualRevenue",
        "OwnerId",
        "CreatedDate",
        "LastModifiedDate",
        "Segment__c",
    )

    def _account_row(self, a: _Account) -> tuple:
        if a.has_won:
            typ = "Customer - Channel" if a.first_win_source == "Partner" else "Customer - Direct"
        else:
            typ = "Prospect"
        return (
            a.id,
            _bool(a.deleted),
            a.name,
            typ,
            a.industry,
            a.country,
            str(a.employees),
            f"{a.revenue}.00",
            a.owner.user_id,
            _iso(a.created_ts),
            _iso(max(a.last_mod_ts, a.created_ts)),
            a.segment,
        )

    def write_crm_d1(self) -> None:
        d = self.d1_dir
        self._write_csv(
            "crm", d, "Opportunity.csv", self.OPP_HEADER, (self._opp_row(o, o.deleted) for o in self.opps), bom=True
        )
        rows = []
        for o in self.opps:
            if o.split is None:
                continue
            other, (p1, p2) = o.split
            for user, pct in ((o.owner, p1), (other, p2)):
                rows.append(
                    (
                        self.sf.new("149"),
                        o.id,
                        user.user_id,
                        str(pct),
                        f"{o.amount * pct / 100:.2f}",
                        "Revenue",
                        "false",
                    )
                )
        self._write_csv(
            "crm",
            d,
            "OpportunitySplit.csv",
            ["Id", "OpportunityId", "SplitOwnerId", "SplitPercentage", "SplitAmount", "SplitTypeName", "IsDeleted"],
            rows,
            bom=True,
        )
        for a in self.accounts:
            a.last_mod_ts = a.created_ts
        for o in self.opps:
            a = o.account
            if o.last_mod > a.last_mod_ts and o.outcome == WON:
                a.last_mod_ts = o.close_ts
        self._write_csv(
            "crm", d, "Account.csv", self.ACCOUNT_HEADER, (self._account_row(a) for a in self.accounts), bom=True
        )
        users = []
        for p in self.sales_people:
            manager = self.by_eid.get(p.supervisor)
            term = p.term
            users.append(
                (
                    p.user_id,
                    p.name,
                    p.first,
                    p.last,
                    p.email,
                    p.email.replace("@northwind-demo.com", "@northwind-demo.com.crm"),
                    _bool(term is None),
                    manager.user_id if manager is not None else "",
                    self.role_of.get(p.eid, ""),
                    p.eid,
                    p.title,
                    p.history[-1][3],
                    _iso(_day_ts(max(p.hire - 3, self.start - 1500)) + 15 * 3600),
                )
            )
        for uid, name, email, role, title in self.system_users:
            first, _, last = name.partition(" ")
            users.append(
                (
                    uid,
                    name,
                    first,
                    last,
                    email,
                    email + ".crm",
                    "true",
                    "",
                    role,
                    "",
                    title,
                    "",
                    _iso(self.start_ts - 800 * DAY + 10 * 3600),
                )
            )
        self._write_csv(
            "crm",
            d,
            "User.csv",
            [
                "Id",
                "Name",
                "FirstName",
                "LastName",
                "Email",
                "Username",
                "IsActive",
                "ManagerId",
                "UserRoleId",
                "EmployeeNumber",
                "Title",
                "Department",
                "CreatedDate",
            ],
            users,
            bom=True,
        )
        self._write_csv("crm", d, "UserRole.csv", ["Id", "Name", "ParentRoleId", "DeveloperName"], self.roles, bom=True)

    # ================================================================ CRM: the partial delivery
    def write_crm_d2(self) -> None:
        rng = self.rng
        T1 = self.T1
        D2 = self.D2
        hist_rows, opp_rows = [], []
        touched_accounts: list[_Account] = []

        def hist(o, t):
            s = o.stage
            amt = o.amount
            hist_rows.append(
                (
                    self.sf.new("008"),
                    o.id,
                    STAGE_NAME[s],
                    "" if amt is None else f"{amt}.00",
                    STAGE_PROB[s],
                    STAGE_FC_API[s],
                    _dstr(o.close_day),
                    "" if amt is None else _money(amt * STAGES[s][1] / 100),
                    _iso(t),
                    "false",
                )
            )

        for o in self.d2_changed:
            t = T1 + rng.randint(9 * 3600, 21 * 3600)
            r = rng.random()
            if r < 0.25:
                o.stage, o.outcome, o.close_day = WON_STAGE, WON, D2
                if o.amount is None:
                    o.amount = 5000 + 250 * rng.randint(0, 80)
                if o.type == NB and o.account not in touched_accounts:
                    o.account.has_won = True
                    o.account.first_win_source = o.account.first_win_source or o.source
                    o.account.last_mod_ts = t
                    touched_accounts.append(o.account)
            elif r < 0.40:
                o.stage, o.outcome, o.close_day = LOST_STAGE, LOST, D2
            elif r < 0.80 and o.stage < 3:
                o.stage += 1
                if rng.random() < 0.3:
                    o.close_day += rng.randint(30, 90)  # pushed into a later quarter
            else:
                if o.amount is None:
                    o.amount = 5000 + 250 * rng.randint(0, 80)
                else:
                    o.amount = max(1000, _round_to(o.amount * rng.uniform(0.7, 1.3), 250))
                if o.close_day < D2:
                    o.close_day = D2 + rng.randint(14, 60)
            o.last_mod = t
            hist(o, t)
            opp_rows.append(self._opp_row(o, False))
        for o in self.d2_deleted:
            opp_rows.append(self._opp_row(o, True))

        # brand-new opportunities created on the delivery day
        prospects = [a for a in self.accounts if not a.deleted and not a.has_won]
        customers = [a for a in self.accounts if not a.deleted and a.has_won]
        n_new = max(2, round(0.002 * len(self.opps)))
        for k in range(n_new):
            use_customer = customers and (k % 3 == 2 or not prospects)
            acct = rng.choice(customers if use_customer else prospects)
            owner = self.pick_rep(self.D1)
            for _ in range(10):
                if owner is not self.d2_leaver:
                    break
                owner = self.pick_rep(self.D1)
            o = _Opp()
            o.idx = len(self.opps)
            o.id = self.sf.new("006")
            o.created_ts = T1 + rng.randint(8 * 3600, 18 * 3600)
            o.created_day = D2
            o.outcome, o.close_ts, o.end_day = OPEN, None, D2
            o.close_day = D2 + rng.randint(30, 120)
            o.account, o.type = acct, (EB if use_customer else NB)
            o.owner0 = o.owner = owner
            o.source = rng.choices(LEAD_SOURCES, NB_SOURCE_WEIGHTS)[0]
            base = SEGMENT_BASE_AMOUNT[acct.segment] * TYPE_AMOUNT_FACTOR[o.type]
            o.amount = max(1000, _round_to(base * rng.lognormvariate(0, 0.45), 250))
            o.stage = 0
            o.region = owner.region
            o.name = f"{acct.name} - {rng.choice(NB_NAME_SUFFIX if o.type == NB else EB_NAME_SUFFIX)}"
            o.deleted = o.d2_deleted = False
            o.split = None
            hist(o, o.created_ts)
            o.last_mod = o.created_ts
            if rng.random() < 0.5:
                o.stage = 1
                o.last_mod = o.created_ts + rng.randint(600, 7200)
                hist(o, o.last_mod)
            opp_rows.append(self._opp_row(o, False))
            self.opps.append(o)

        # a couple of accounts updated (firmographics refreshed)
        pool = [a for a in self.accounts if not a.deleted and a not in touched_accounts]
        for a in rng.sample(pool, min(len(pool), max(1, 2 - len(touched_accounts)) + 1)):
            a.employees = max(5, int(a.employees * rng.uniform(1.05, 1.4)))
            a.revenue = _round_to(a.revenue * rng.uniform(1.05, 1.3), 1000)
            a.last_mod_ts = T1 + rng.randint(6 * 3600, 20 * 3600)
            touched_accounts.append(a)
        d = self.d2_dir
        self._write_csv("crm", d, "Opportunity.csv", self.OPP_HEADER, opp_rows, bom=True)
        self._write_csv(
            "crm",
            d,
            "OpportunityHistory.csv",
            [
                "Id",
                "OpportunityId",
                "StageName",
                "Amount",
                "Probability",
                "ForecastCategory",
                "CloseDate",
                "ExpectedRevenue",
                "CreatedDate",
                "IsDeleted",
            ],
            hist_rows,
            bom=True,
        )
        self._write_csv(
            "crm",
            d,
            "Account.csv",
            self.ACCOUNT_HEADER,
            (self._account_row(a) for a in sorted(touched_accounts, key=lambda a: a.id)),
            bom=True,
        )

    # ================================================================ Billing (Stripe)
    def write_billing(self) -> None:
        rng = self.rng
        T1, T2, D1 = self.T1, self.T2, self.D1
        st = self.st
        d1 = self.d1_dir
        deals_by_acct: dict[str, list[_Opp]] = {}
        acct_order: list[_Account] = []
        for o in self.opps:
            if o.outcome != WON or o.deleted or o.close_ts is None or o.close_ts >= T1:
                continue
            a = o.account
            if a.id not in deals_by_acct:
                deals_by_acct[a.id] = []
                acct_order.append(a)
            deals_by_acct[a.id].append(o)
        for deals in deals_by_acct.values():
            deals.sort(key=lambda o: (o.close_ts, o.idx))
        acct_order.sort(key=lambda a: (deals_by_acct[a.id][0].close_ts, a.id))

        # accounts that churn and come back (reactivation): cancel the first subscription
        # between the first and the second won deal.
        force_cancel: dict[str, int] = {}
        cand = [
            a
            for a in acct_order
            if len(deals_by_acct[a.id]) >= 2
            and deals_by_acct[a.id][1].close_ts - deals_by_acct[a.id][0].close_ts >= 100 * DAY
        ]
        for k, a in enumerate(cand):
            if k == 0 or rng.random() < 0.06:
                first, second = deals_by_acct[a.id][:2]
                gap_days = (second.close_ts - first.close_ts) // DAY
                force_cancel[a.id] = second.close_ts - rng.randint(15, max(16, min(60, gap_days - 45))) * DAY
        need_fallback_reactivation = not cand

        cust_h, cust_w = self._csv(
            "billing",
            d1,
            "customers.csv",
            [
                "id",
                "name",
                "email",
                "created",
                "currency",
                "delinquent",
                "invoice_prefix",
                "address.country",
                "metadata.salesforce_account_id",
                "metadata.segment",
            ],
        )
        sub_header = [
            "id",
            "customer",
            "status",
            "created",
            "start_date",
            "billing_cycle_anchor",
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
            "canceled_at",
            "ended_at",
            "collection_method",
            "currency",
            "metadata.salesforce_opportunity_id",
        ]
        sub_h, sub_w = self._csv("billing", d1, "subscriptions.csv", sub_header)
        item_h, item_w = self._csv(
            "billing",
            d1,
            "subscription_items.csv",
            [
                "id",
                "subscription",
                "price.id",
                "price.product",
                "price.unit_amount",
                "price.currency",
                "price.recurring.interval",
                "price.recurring.interval_count",
                "quantity",
                "created",
            ],
        )
        inv_header = [
            "id",
            "number",
            "customer",
            "subscription",
            "status",
            "billing_reason",
            "collection_method",
            "currency",
            "subtotal",
            "tax",
            "total",
            "amount_due",
            "amount_paid",
            "amount_remaining",
            "created",
            "period_start",
            "period_end",
            "due_date",
            "status_transitions.finalized_at",
            "status_transitions.paid_at",
            "status_transitions.voided_at",
            "charge",
        ]
        inv_h, inv_w = self._csv("billing", d1, "invoices.csv", inv_header)

        refunds = []
        refund_fallback = []
        d2_rollovers = []  # (sub dict, new invoice row)
        d2_paid = []  # invoice rows paid on the delivery-2 day
        live_for_cancel = []
        draft_customers = []
        n_forced_anchor = 0
        n_clawback = 0
        as_of_day = self.as_of.day

        def sub_row(s, status, cps, cpe, canceled_at, ended_at, pending):
            return (
                s["id"],
                s["cust"]["id"],
                status,
                s["created"],
                s["start"],
                s["start"],
                cps,
                cpe,
                _bool(pending),
                "" if canceled_at is None else canceled_at,
                "" if ended_at is None else ended_at,
                s["cust"]["collection"],
                "usd",
                s["opp_id"],
            )

        with cust_h, sub_h, item_h, inv_h:
            for a in acct_order:
                deals = deals_by_acct[a.id]
                tax_rate = (
                    (0.20 if rng.random() < 0.5 else 0.0)
                    if a.region == "EMEA"
                    else (0.0825 if rng.random() < 0.3 else 0.0)
                )
                cust = {
                    "id": st.new("cus"),
                    "prefix": _b62(rng.randrange(62**8), 8).upper()[:8],
                    "seq": 0,
                    "tax": tax_rate,
                    "collection": "send_invoice"
                    if a.segment == "Enterprise" and rng.random() < 0.5
                    else "charge_automatically",
                }
                subs = []

                def make_sub(o, close_ts, opp_id):
                    nonlocal n_forced_anchor, n_clawback
                    created = min(close_ts + rng.randint(600, 3 * DAY), T1 - 1)
                    if created <= close_ts:
                        created = min(close_ts + 30, T1 - 1)
                    interval = rng.choices(("month", "year", "week"), (75, 20, 5))[0]
                    forced = False
                    if (
                        o is not None
                        and n_forced_anchor < 3
                        and interval == "month"
                        and as_of_day <= 28
                        and _ts_day(close_ts) <= D1 - 40
                        and a.id not in force_cancel
                    ):
                        day = _ts_day(close_ts) + 1
                        while date.fromordinal(day).day != as_of_day:
                            day += 1
                        created = _day_ts(day) + rng.randint(9 * 3600, 20 * 3600)
                        forced = True
                        n_forced_anchor += 1
                    amount = o.amount if o is not None else 6000 + 250 * rng.randint(0, 40)
                    per_period = amount * 100 / (12 if interval == "month" else 1 if interval == "year" else 52)
                    n_items = rng.choices((1, 2, 3), (60, 30, 10))[0]
                    shares = ((1.0,), (0.7, 0.3), (0.6, 0.25, 0.15))[n_items - 1]
                    items = []
                    for share, product in zip(shares, PRODUCTS, strict=False):
                        if product == "Seats":
                            qty = rng.randint(3, 50)
                        else:
                            qty = 1
                        unit = max(100, round(share * per_period / qty))
                        items.append((st.new("si"), st.new("price"), product, unit, qty))
                    cancel = None
                    pending = False
                    if not forced:
                        if a.id in force_cancel and not subs:
                            cancel = max(force_cancel[a.id], created + 30 * DAY)
                        elif (
                            n_clawback < 2 and o is not None and o.type == NB and not subs and close_ts + 90 * DAY < T1
                        ):  # guaranteed clawbacks, at any scale
                            cancel = close_ts + rng.randint(10, 85) * DAY + rng.randint(0, DAY - 1)
                            n_clawback += 1
                        elif rng.random() < 0.03:  # churn inside the clawback window
                            cancel = close_ts + rng.randint(10, 85) * DAY + rng.randint(0, DAY - 1)
                        elif rng.random() < 0.15:
                            cancel = created + rng.randint(90, 600) * DAY + rng.randint(0, DAY - 1)
                        if cancel is not None and cancel >= T1:
                            cancel = None
                    s = {
                        "id": st.new("sub"),
                        "cust": cust,
                        "created": created,
                        "start": created,
                        "interval": interval,
                        "items": items,
                        "cancel": cancel,
                        "pending": pending,
                        "opp_id": opp_id,
                        "forced": forced,
                        "profile": "ok",
                    }
                    subs.append(s)
                    return s

                for o in deals:
                    live = any(
                        s["created"] <= o.close_ts and (s["cancel"] is None or s["cancel"] > o.close_ts) for s in subs
                    )
                    if o.type in (NB, EB) or not live:
                        make_sub(o, o.close_ts, o.id)
                if need_fallback_reactivation and subs and all(s["cancel"] is not None for s in subs):
                    last_cancel = max(s["cancel"] for s in subs)
                    if last_cancel < T1 - 120 * DAY:
                        make_sub(None, last_cancel + rng.randint(30, 60) * DAY, "")
                        need_fallback_reactivation = False

                cust_created = min(s["created"] for s in subs) - rng.randint(60, 3600)
                invoices = []  # [created, order, row(list)]
                acct_rollovers = []
                delinquent = False
                for order, s in enumerate(subs):
                    interval, start, cancel = s["interval"], s["start"], s["cancel"]
                    starts = []
                    k = 0
                    while True:
                        ps = _period_boundary(start, interval, k)
                        if ps >= T1 or (cancel is not None and ps >= cancel):
                            break
                        starts.append(ps)
                        k += 1
                    n_inv = len(starts)
                    live = cancel is None
                    if live and not s["forced"] and interval != "year":
                        r = rng.random()
                        if r < 0.02:
                            s["profile"] = "past_due"
                        elif r < 0.03 and n_inv >= 2:
                            s["profile"] = "unpaid"
                    elif not live and rng.random() < 0.2:
                        s["profile"] = "nonpay"
                    if s["profile"] in ("past_due", "unpaid"):
                        delinquent = True
                    subtotal = sum(unit * qty for _, _, _, unit, qty in s["items"])
                    tax = round(subtotal * cust["tax"])
                    total = subtotal + tax
                    for j, ps in enumerate(starts):
                        pe = _period_boundary(start, interval, j + 1)
                        last = j == n_inv - 1
                        status = "paid"
                        paid_at = voided_at = None
                        if (s["profile"] == "past_due" and last) or (s["profile"] == "unpaid" and last):
                            status = "open"
                        elif (s["profile"] == "unpaid" and j == n_inv - 2) or (s["profile"] == "nonpay" and last):
                            status = "uncollectible"
                        elif not last and rng.random() < 0.006:
                            status = "void"
                            voided_at = min(ps + rng.randint(3600, 5 * DAY), T1 - 1)
                        if status == "paid":
                            if cust["collection"] == "send_invoice":
                                delay = rng.randint(3, 35) * DAY + rng.randint(0, DAY - 1)
                            elif rng.random() < 0.92:
                                delay = rng.randint(30, 3600)
                            else:
                                delay = rng.randint(1, 7) * DAY + rng.randint(0, 3600)
                            paid_at = ps + delay
                            if paid_at >= T1:
                                status = "open"
                                pend = paid_at if paid_at < T2 else None
                                paid_at = None
                            else:
                                pend = None
                        else:
                            pend = None
                        amount_paid = total if status == "paid" else 0
                        due_date = ps + 30 * DAY if cust["collection"] == "send_invoice" else ""
                        row = [
                            st.new("in"),
                            "",
                            cust["id"],
                            s["id"],
                            status,
                            "subscription_create" if j == 0 else "subscription_cycle",
                            cust["collection"],
                            "usd",
                            subtotal,
                            tax,
                            total,
                            total,
                            amount_paid,
                            total - amount_paid,
                            ps,
                            ps,
                            pe,
                            due_date,
                            ps + rng.randint(0, 3600) if status != "draft" else "",
                            paid_at if paid_at is not None else "",
                            voided_at if voided_at is not None else "",
                            st.new("ch") if status == "paid" else "",
                        ]
                        row[18] = min(row[18], paid_at) if paid_at is not None else row[18]
                        invoices.append([ps, order, row])
                        if status == "paid":
                            if rng.random() < 0.004 and total > 0:
                                refunds.append((row, paid_at))
                            elif len(refund_fallback) < 30 and total > 0:
                                refund_fallback.append((row, paid_at))
                        if pend is not None and s["profile"] == "ok" and cust["collection"] == "charge_automatically":
                            d2_paid.append((row, pend))
                    s["n_inv"] = n_inv
                    s["cps"] = starts[-1] if starts else start
                    s["cpe"] = (
                        _period_boundary(start, interval, n_inv) if starts else _period_boundary(start, interval, 1)
                    )
                    nxt = s["cpe"]
                    if live and T1 <= nxt < T2:
                        new_row = [
                            st.new("in"),
                            "",
                            cust["id"],
                            s["id"],
                            "paid",
                            "subscription_cycle",
                            cust["collection"],
                            "usd",
                            subtotal,
                            tax,
                            total,
                            total,
                            total,
                            0,
                            nxt,
                            nxt,
                            _period_boundary(start, interval, n_inv + 1),
                            nxt + 30 * DAY if cust["collection"] == "send_invoice" else "",
                            nxt + 60,
                            "",
                            "",
                            "",
                        ]
                        if s["profile"] == "ok" and cust["collection"] == "charge_automatically" and nxt + 1800 < T2:
                            new_row[19] = nxt + rng.randint(120, 1800)
                            new_row[21] = st.new("ch")
                        else:
                            new_row[4], new_row[12], new_row[13] = "open", 0, total
                        d2_rollovers.append((s, new_row))
                        acct_rollovers.append(new_row)
                    elif live and s["profile"] == "ok" and not s["forced"]:
                        live_for_cancel.append(s)
                    if live and len(draft_customers) < 50 and (not draft_customers or draft_customers[-1] is not cust):
                        draft_customers.append(cust)

                # invoice numbers in creation order per customer
                invoices.sort(key=lambda x: (x[0], x[1]))
                for _, _, row in invoices:
                    if row[4] != "draft":
                        cust["seq"] += 1
                        row[1] = f"{cust['prefix']}-{cust['seq']:04d}"
                    inv_w.writerow(row)

                # pending cancellation at period end for one long-lived subscription
                status_rows = []
                for s in subs:
                    cancel = s["cancel"]
                    if cancel is not None:
                        status = "canceled"
                        canceled_at = ended_at = cancel
                        pending = False
                    else:
                        status = {"past_due": "past_due", "unpaid": "unpaid"}.get(s["profile"], "active")
                        canceled_at = ended_at = None
                        pending = False
                        if (
                            not self._pending_done
                            and s["profile"] == "ok"
                            and not s["forced"]
                            and s["cpe"] >= T2 + 5 * DAY
                            and s["cps"] < T1 - 2 * DAY
                        ):
                            pending = s["pending"] = True
                            canceled_at = self._between(max(s["cps"], T1 - 20 * DAY), T1 - 3600)
                            self._pending_done = True
                    s["status"] = status
                    status_rows.append(sub_row(s, status, s["cps"], s["cpe"], canceled_at, ended_at, pending))
                    for si, price, product, unit, qty in s["items"]:
                        item_w.writerow((si, s["id"], price, product, unit, "usd", s["interval"], 1, qty, s["created"]))
                sub_w.writerows(status_rows)
                cust_w.writerow(
                    (
                        cust["id"],
                        a.name,
                        f"billing@{a.slug}.example",
                        cust_created,
                        "usd",
                        _bool(delinquent),
                        cust["prefix"],
                        {
                            "United States": "US",
                            "Canada": "CA",
                            "Mexico": "MX",
                            "Brazil": "BR",
                            "United Kingdom": "GB",
                            "Germany": "DE",
                            "France": "FR",
                            "Netherlands": "NL",
                            "Sweden": "SE",
                            "Spain": "ES",
                        }[a.country],
                        a.id,
                        a.segment,
                    )
                )
                self.customer_accounts.append((a, cust_created))
                for new_row in acct_rollovers:  # delivery-2 invoices continue the numbering
                    cust["seq"] += 1
                    new_row[1] = f"{cust['prefix']}-{cust['seq']:04d}"

            # one manual one-off invoice still in draft (no number, no subscription yet)
            if draft_customers:
                cust = draft_customers[rng.randrange(len(draft_customers))]
                created = T1 - rng.randint(3600, 7200)
                subtotal = 250000
                tax = round(subtotal * cust["tax"])
                inv_w.writerow(
                    (
                        st.new("in"),
                        "",
                        cust["id"],
                        "",
                        "draft",
                        "manual",
                        "send_invoice",
                        "usd",
                        subtotal,
                        tax,
                        subtotal + tax,
                        subtotal + tax,
                        0,
                        subtotal + tax,
                        created,
                        created,
                        created,
                        "",
                        "",
                        "",
                        "",
                        "",
                    )
                )

        # refunds: a few against paid invoices; exactly one failed
        if len(refunds) < 3:
            have = {id(r[0]) for r in refunds}
            for cand in refund_fallback:
                if len(refunds) >= 3:
                    break
                if id(cand[0]) not in have:
                    refunds.append(cand)
        refund_rows = []
        for k, (row, paid_at) in enumerate(refunds):
            created = min(paid_at + rng.randint(1, 25) * DAY + rng.randint(0, DAY - 1), T1 - 1)
            if created <= paid_at:
                created = paid_at + 1
            paid = row[12]
            if rng.random() < 0.25:
                amount, reason = paid, "duplicate"
            else:
                amount, reason = max(1, int(paid * rng.uniform(0.1, 1.0))), "requested_by_customer"
            refund_rows.append(
                [
                    created,
                    k,
                    st.new("re"),
                    row[21],
                    row[0],
                    amount,
                    "usd",
                    created,
                    reason,
                    "failed" if k == 1 else "succeeded",
                ]
            )
        refund_rows.sort(key=lambda r: (r[0], r[1]))
        self._write_csv(
            "billing",
            d1,
            "refunds.csv",
            ["id", "charge", "invoice", "amount", "currency", "created", "reason", "status"],
            (r[2:] for r in refund_rows),
        )

        # the partial delivery: period roll-overs, late payments, one cancellation
        d2 = self.d2_dir
        sub_d2, inv_d2 = [], []
        for s, new_row in d2_rollovers:
            n = s["n_inv"]
            cps, cpe = s["cpe"], _period_boundary(s["start"], s["interval"], n + 1)
            sub_d2.append(sub_row(s, s["status"], cps, cpe, None, None, False))
            inv_d2.append(new_row)
        for row, paid_at in d2_paid[:8]:
            paid = list(row)
            paid[4], paid[12], paid[13], paid[19] = "paid", paid[10], 0, paid_at
            paid[21] = st.new("ch")
            inv_d2.append(paid)
        live_for_cancel = [s for s in live_for_cancel if not s.get("pending")]
        if live_for_cancel:
            s = live_for_cancel[rng.randrange(len(live_for_cancel))]
            t = T1 + rng.randint(10 * 3600, 20 * 3600)
            sub_d2.append(sub_row(s, "canceled", s["cps"], s["cpe"], t, t, False))
        self._write_csv("billing", d2, "subscriptions.csv", sub_header, sub_d2)
        self._write_csv("billing", d2, "invoices.csv", inv_header, inv_d2)

    # ================================================================ HR files
    HR_HEADER = (
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
    )

    def _hr_row(self, p: _Person, term=None, status=None, title=None, pay=None) -> list:
        h = p.history[-1]
        term = p.term if term is None else term
        status = p.status if status is None else status
        pay_rate = p.pay_rate if pay is None else pay
        rate = f"{pay_rate:,.2f} USD"
        return [
            p.eid,
            p.first,
            p.last,
            p.email,
            title or h[1],
            h[3],
            h[4],
            h[5],
            h[2] or "",
            _dstr(p.hire),
            _dstr(term) if term is not None else "",
            status,
            rate,
            p.pay_per,
            _bamboo_money(p.variable),
        ]

    def write_hr(self) -> None:
        rng = self.rng
        d1 = self.d1_dir
        rows = [self._hr_row(p) for p in sorted(self.people, key=lambda p: int(p.eid))]
        self._write_xlsx(self._path("hr", d1, "employees.xlsx"), "Employees", self.HR_HEADER, rows)

        jh = []
        for p in sorted(self.people, key=lambda p: int(p.eid)):
            for row in p.history:
                jh.append((p.eid, _dstr(row[0]), row[1], row[3], row[4], row[5], row[2]))
        self._write_csv(
            "hr",
            d1,
            "job_history.csv",
            ["Employee #", "Effective Date", "Job Title", "Department", "Division", "Location", "Supervisor EID"],
            jh,
        )

        # ATS: hired candidates for every sales hire in the span, and a pipeline of others.
        cands = []
        for p in self.sales_people:
            if p.hire >= self.start:
                applied = p.hire - rng.randint(40, 90)
                hired = p.hire - rng.randint(10, 30)
                cands.append([applied, p.history[0][1], rng.choice(CANDIDATE_SOURCES), "Hired", hired, None])
        n_other = max(20, 8 * len(cands), round(25 * self.scale))
        jobs = (
            "Account Executive",
            "Account Executive",
            "Sales Development Representative",
            "Senior Account Executive",
            "Sales Manager",
        )
        for _ in range(n_other):
            applied = self._sample_day(self.start, self.D1)
            age = self.D1 - applied
            if age < 45:
                stage = rng.choices(
                    ("Application Review", "Phone Screen", "Interview", "Offer", "Rejected"), (35, 25, 20, 5, 15)
                )[0]
            else:
                stage = "Rejected" if rng.random() < 0.93 else rng.choice(("Interview", "Offer", "Phone Screen"))
            rejected = None
            if stage == "Rejected":
                rejected = min(self.D1, applied + rng.randint(3, 40))
            cands.append([applied, rng.choice(jobs), rng.choice(CANDIDATE_SOURCES), stage, None, rejected])
        cands.sort(key=lambda c: (c[0], c[1], c[3]))
        rows = []
        for k, (applied, job, source, stage, hired, rejected) in enumerate(cands, start=1):
            rows.append(
                (
                    f"CAND-{10000 + k}",
                    job,
                    "Sales",
                    source,
                    stage,
                    _dstr(applied),
                    _dstr(hired) if hired else "",
                    _dstr(rejected) if rejected else "",
                )
            )
        self._write_csv(
            "hr",
            d1,
            "candidates.csv",
            [
                "Candidate ID",
                "Job",
                "Department",
                "Source",
                "Current Stage",
                "Applied Date",
                "Hired Date",
                "Rejected Date",
            ],
            rows,
        )

        # D2: the partial report (CSV this time): a leaver and a promotion.
        d2_rows = []
        if self.d2_leaver is not None:
            d2_rows.append(self._hr_row(self.d2_leaver, term=self.D2, status="Terminated"))
        if self.d2_promoted is not None:
            p = self.d2_promoted
            d2_rows.append(
                self._hr_row(p, title="Senior Account Executive", pay=float(_round_to(p.pay_rate * 1.12, 500)))
            )
        d2_rows.sort(key=lambda r: int(r[0]))
        self._write_csv("hr", self.d2_dir, "employees.csv", self.HR_HEADER, d2_rows)

    def _write_xlsx(self, path: Path, title: str, header, rows) -> None:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([v if v != "" else None for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        # Make the workbook byte-reproducible: fixed zip timestamps and document dates.
        stamp = f"{self.d1_date.isoformat()}T23:00:00Z".encode()
        src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        dt_fixed = (self.d1_date.year, self.d1_date.month, self.d1_date.day, 23, 0, 0)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = re.sub(
                        rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                        lambda m: m.group(1) + stamp + m.group(3),
                        data,
                    )
                zi = zipfile.ZipInfo(info.filename, date_time=dt_fixed)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                out.writestr(zi, data)

    # ================================================================ Planning
    def write_planning(self) -> None:
        rng = self.rng
        d1 = self.d1_dir
        start_year, start_q = _quarter_of(self.start)
        end_year, end_q = _quarter_of(self.D2)
        # quarters of the span plus the next one (quotas are set ahead)
        end_q += 1
        if end_q == 5:
            end_year, end_q = end_year + 1, 1
        quarters = []
        y, q = start_year, start_q
        while (y, q) <= (end_year, end_q):
            quarters.append((y, q))
            y, q = (y, q + 1) if q < 4 else (y + 1, 1)
        ae_quota = {"Account Executive": 150000, "Senior Account Executive": 180000}
        sdr_month = 25000
        rows = []
        for r in sorted(self.reps, key=lambda p: int(p.eid)):
            for y, q in quarters:
                qs, qe = _quarter_start(y, q), _quarter_end(y, q)
                if r.hire > qe or (r.term is not None and r.term < qs):
                    continue
                factor = 0.9 if y < self.as_of.year else 1.0
                months = []
                m_start = qs
                while m_start <= qe:
                    dm = date.fromordinal(m_start)
                    m_end = m_start + calendar.monthrange(dm.year, dm.month)[1] - 1
                    if not (r.hire > m_end or (r.term is not None and r.term < m_start)):
                        months.append((m_start, r.title_at(max(m_start, r.hire))))
                    m_start = m_end + 1
                if all(t != "Sales Development Representative" for _, t in months):
                    title = r.title_at(max(qs, r.hire))
                    rows.append((r.eid, f"FY{y}-Q{q}", str(int(ae_quota.get(title, 150000) * factor))))
                else:
                    for m_start, t in months:
                        dm = date.fromordinal(m_start)
                        amount = sdr_month if t == "Sales Development Representative" else ae_quota.get(t, 150000) // 3
                        rows.append((r.eid, f"{dm.year}-{dm.month:02d}", str(int(amount * factor))))
        self._write_csv("planning", d1, "quotas.csv", ["employee_number", "period", "quota_amount"], rows)

        self._write_comp_plans(self._path("planning", d1, "comp_plans.yaml"))

        self._write_csv(
            "planning",
            d1,
            "territories.csv",
            ["territory_id", "name", "region", "segment", "owner_employee_number"],
            self.territories,
        )
        self._write_csv(
            "planning",
            d1,
            "account_territories.csv",
            ["account_id", "territory_id"],
            ((a.id, a.territory) for a in self.accounts),
        )

        rows = []
        m = _month_start(self.start)
        k = 0
        while m <= self.D2:
            dm = date.fromordinal(m)
            growth = 1 + 0.4 * k / 24
            for channel, base in MARKETING_CHANNELS:
                amount = base * max(self.scale, 0.05) * growth * rng.uniform(0.75, 1.25)
                if channel == "Events" and dm.month in (3, 6, 10):
                    amount *= 1.8  # conference season
                rows.append((f"{dm.year}-{dm.month:02d}", channel, _money(amount)))
            m += calendar.monthrange(dm.year, dm.month)[1]
            k += 1
        self._write_csv("planning", d1, "marketing_spend.csv", ["month", "channel", "amount"], rows)

    def _write_comp_plans(self, path: Path) -> None:
        year = self.as_of.year
        prev = year - 1
        cut = date(year, 1, 1).toordinal()
        lines = [
            "# Compensation plans, maintained by Sales Ops (see shared/spec/commissions.md).",
            "plans:",
            f"  - id: ae_{year}",
            "    period: quarter",
            "    measure: bookings",
            "    ramp: [0.0, 0.25, 0.5, 0.75]",
            "    tiers:",
            "      - {from: 0.0, to: 1.0, rate: 0.10}",
            "      - {from: 1.0, to: 1.5, rate: 0.15}   # accelerator",
            "      - {from: 1.5, to: null, rate: 0.20}",
            "    cap: 3.0",
            "    clawback_days: 90",
            "    draw: {amount: 6000, recoverable: true}",
            "    spiffs:",
            "      - {id: multi_year, opportunity_type: New Business, min_amount: 100000, amount: 1000}",
            f"  - id: sdr_{year}",
            "    period: month",
            "    measure: bookings",
            "    ramp: [0.0, 0.5]",
            "    tiers:",
            "      - {from: 0.0, to: 1.0, rate: 0.08}",
            "      - {from: 1.0, to: null, rate: 0.12}",
            "    cap: null",
            "    clawback_days: 90",
            "    draw: {amount: 1000, recoverable: false}",
            "    spiffs: []",
            f"  - id: ae_{prev}",
            "    period: quarter",
            "    measure: bookings",
            "    ramp: [0.0, 0.25, 0.5, 0.75]",
            "    tiers:",
            "      - {from: 0.0, to: 1.0, rate: 0.09}",
            "      - {from: 1.0, to: 1.5, rate: 0.14}",
            "      - {from: 1.5, to: null, rate: 0.18}",
            "    cap: 2.5",
            "    clawback_days: 90",
            "    draw: {amount: 5000, recoverable: true}",
            "    spiffs: []",
            f"  - id: sdr_{prev}",
            "    period: month",
            "    measure: bookings",
            "    ramp: [0.0, 0.5]",
            "    tiers:",
            "      - {from: 0.0, to: 1.0, rate: 0.07}",
            "      - {from: 1.0, to: null, rate: 0.10}",
            "    cap: null",
            "    clawback_days: null",
            "    draw: null",
            "    spiffs: []",
            "assignments:",
        ]
        for r in sorted(self.reps, key=lambda p: int(p.eid)):
            a_start = max(r.hire, self.plan_start)
            a_end = r.term  # None -> open-ended
            if a_end is not None and a_end < a_start:
                continue
            # boundaries: plan-family changes (promotion SDR -> AE) and the plan-year cut
            cuts = sorted({row[0] for row in r.history[1:] if a_start < row[0]} | ({cut} if a_start < cut else set()))
            bounds = [a_start] + [c for c in cuts if a_end is None or c <= a_end]
            segments = []
            for i, b in enumerate(bounds):
                e = bounds[i + 1] - 1 if i + 1 < len(bounds) else a_end
                family = "sdr" if r.title_at(b) == "Sales Development Representative" else "ae"
                plan = f"{family}_{year if b >= cut else prev}"
                if segments and segments[-1][0] == plan:
                    segments[-1][2] = e
                else:
                    segments.append([plan, b, e])
            for plan, b, e in segments:
                end = "null" if e is None else _dstr(e)
                lines.append(f'  - {{employee_number: "{r.eid}", plan: {plan}, start: {_dstr(b)}, end: {end}}}')
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # ================================================================ Surveys
    def write_surveys(self) -> None:
        rng = self.rng
        customers = [(a, created) for a, created in self.customer_accounts if created < self.T1 - DAY]
        rows = []
        if customers:
            n = max(30, round(0.2 * len(self.opps)))
            comments = (
                "",
                "",
                "",
                "Great support team",
                "Onboarding was slow, but the product is solid",
                'Love the "insights" dashboard',
                "Too expensive for what we use",
                "Reporting needs work",
            )
            for _ in range(n):
                a, created = customers[rng.randrange(len(customers))]
                ts = rng.randint(created + 3600, self.T1 - 1)
                r = rng.random()
                score = rng.choice((9, 10)) if r < 0.45 else rng.choice((7, 8)) if r < 0.75 else rng.randint(0, 6)
                rows.append([ts, a.id, score, rng.choice(comments)])
        rows.sort(key=lambda x: (x[0], x[1]))
        out = [
            (f"R_{_b62(k * 104729 + 7 * self.seed + 1, 15)}", a, str(score), _iso_plain(ts), comment)
            for k, (ts, a, score, comment) in enumerate(rows, start=1)
        ]
        self._write_csv(
            "surveys",
            self.d1_dir,
            "nps_responses.csv",
            ["response_id", "account_id", "score", "submitted_at", "comment"],
            out,
        )

    # ================================================================ run
    def run(self) -> list[Path]:
        self._pending_done = False
        self.customer_accounts = []
        self.build_people()
        self.build_users()
        self.build_buckets()
        self.build_territories()
        self.build_opportunities()
        self.build_leads()
        self.write_history_and_tasks()
        self.write_crm_d1()
        self.write_billing()  # before D2 changes: billing only knows deals won by delivery 1
        self.write_crm_d2()
        self.write_hr()
        self.write_planning()
        self.write_surveys()
        return list(self.files)


def generate_exports(out_dir: Path, scale: float = 1.0, seed: int = 7, as_of: date = date(2026, 11, 26)) -> list[Path]:
    """Write a complete, deterministic demo drop folder under ``out_dir``; return the files written.

    Layout: ``<out>/<source>/<delivery>/<file>`` with a full delivery dated ``as_of - 1 day``
    and a partial one dated ``as_of``. ``scale`` grows every table proportionally
    (1.0 is about 30 reps and 2,000 opportunities).
    """
    return _Generator(Path(out_dir), scale, seed, as_of).run()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo_exports", description="Generate a deterministic demo drop folder of sales-ops exports."
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to write the exports into")
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (1 = ~30 reps, ~2,000 opportunities)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed => identical files)")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=date(2026, 11, 26),
        help="date of the latest delivery, YYYY-MM-DD (default 2026-11-26)",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    started = time.perf_counter()
    files = generate_exports(args.out, args.scale, args.seed, args.as_of)
    print(f"wrote {len(files)} files under {args.out} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------
# A follow-up delivery: the next night's partial exports, for the incremental benchmark
# --------------------------------------------------------------------------------------
# Ids far above any counter a generated drop folder reaches, so new records never collide.
_NEXT_DELIVERY_ID_BASE = 50_000_000


def _current_rows(folder: Path, name: str, key: str) -> tuple[list[str], dict[str, dict]]:
    """The header and the records by id of every delivery of ``name`` in order (upserts by id)."""
    header: list[str] = []
    records: dict[str, dict] = {}
    for delivery in sorted(path for path in folder.iterdir() if path.is_dir()):
        path = delivery / name
        if not path.exists():
            continue
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or header)
            records.update((row[key], row) for row in reader)
    return header, records


def _every_kth(rows: list[dict], count: int) -> list[dict]:
    """``count`` rows spread evenly over ``rows`` (deterministic)."""
    if count <= 0 or not rows:
        return []
    step = max(len(rows) // count, 1)
    return rows[::step][:count]


def generate_next_delivery(out_dir: Path, fraction: float = 0.01) -> list[Path]:
    """Write the next night's partial delivery into an existing drop folder; return the files written.

    Dated the day after the latest CRM delivery, it touches ``fraction`` of the
    opportunities: as many open deals move one stage on (into Closed Won from
    Negotiation/Review), half as many new deals open in Prospecting, each with
    its OpportunityHistory row; and ``fraction`` of the invoices are delivered
    again, the open ones now paid. Deterministic: the same folder gives the
    same files.
    """
    out_dir = Path(out_dir)
    crm, billing = out_dir / "crm", out_dir / "billing"
    latest = max(path.name for path in crm.iterdir() if path.is_dir())
    day = date.fromisoformat(latest).toordinal() + 1
    delivery, stamp = _dstr(day), _iso(_day_ts(day) + 10 * 3600)
    header, opportunities = _current_rows(crm, "Opportunity.csv", "Id")
    history_header, _ = _current_rows(crm, "OpportunityHistory.csv", "Id")
    live = [row for row in sorted(opportunities.values(), key=lambda row: row["Id"]) if row["IsDeleted"] != "true"]
    open_deals = [row for row in live if row["IsClosed"] == "false"]
    touched = max(round(len(live) * fraction), 1)
    ids = _SfIds()
    ids.counters = {"006": _NEXT_DELIVERY_ID_BASE, "008": _NEXT_DELIVERY_ID_BASE}

    changed = []
    for row in _every_kth(open_deals, touched):
        stage = STAGE_NAME.index(row["StageName"]) + 1  # open stages are followed by the next, then Closed Won
        changed.append({**row, **_stage_fields(stage, row.get("CloseDate") if stage < WON_STAGE else _dstr(day))})
    for template in _every_kth(open_deals, max(touched // 2, 1)):
        close = day + 60
        year, quarter = _quarter_of(close)
        changed.append(
            {
                **template,
                **_stage_fields(0, _dstr(close)),
                "Id": ids.new("006"),
                "Name": f"{template['Name']} - follow-up",
                "CreatedDate": stamp,
                "FiscalYear": str(year),
                "FiscalQuarter": str(quarter),
            }
        )
    for row in changed:
        row["LastModifiedDate"] = stamp
    history = [
        {
            "Id": ids.new("008"),
            "OpportunityId": row["Id"],
            "StageName": row["StageName"],
            "Amount": row["Amount"],
            "Probability": row["Probability"],
            "ForecastCategory": STAGE_FC_API[STAGE_NAME.index(row["StageName"])],
            "CloseDate": row["CloseDate"],
            "ExpectedRevenue": _money(float(row["Amount"]) * int(row["Probability"]) / 100) if row["Amount"] else "",
            "CreatedDate": stamp,
            "IsDeleted": "false",
        }
        for row in changed
    ]

    invoice_header, invoices = _current_rows(billing, "invoices.csv", "id")
    paid_at = str(_day_ts(day) + 11 * 3600)
    again = []
    for invoice in _every_kth(sorted(invoices.values(), key=lambda row: row["id"]), round(len(invoices) * fraction)):
        if invoice["status"] == "open":
            invoice = {**invoice, "status": "paid", "amount_paid": invoice["amount_due"], "amount_remaining": "0"}
            invoice["status_transitions.paid_at"] = paid_at
        again.append(invoice)

    files = []
    for folder, name, fields, rows, bom in (
        (crm, "Opportunity.csv", header, changed, True),
        (crm, "OpportunityHistory.csv", history_header, history, True),
        (billing, "invoices.csv", invoice_header, again, False),
    ):
        path = folder / delivery / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
            writer = csv.DictWriter(handle, fields, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        files.append(path)
    return files


def _stage_fields(stage: int, close_date: str | None) -> dict[str, str]:
    """The Opportunity fields a stage sets (the generator's STAGES)."""
    return {
        "StageName": STAGE_NAME[stage],
        "Probability": STAGE_PROB[stage],
        "IsClosed": _bool(stage >= WON_STAGE),
        "IsWon": _bool(stage == WON_STAGE),
        "ForecastCategoryName": STAGE_FC[stage],
        **({"CloseDate": close_date} if close_date else {}),
    }
