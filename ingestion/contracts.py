"""The input contract (``shared/spec/inputs.md``) as data.

One structure feeds the readers (required columns, types), the quality suites
(ids, domains, ranges) and the dbt sources. Column names are the source systems'
own; value types say how the system writes them, not how we store them.
"""

from __future__ import annotations

from dataclasses import dataclass

# How a source system writes a value, and so how it is parsed:
#   string        text, kept as is
#   boolean       true / false
#   date          YYYY-MM-DD
#   timestamp     ISO 8601 date-time in UTC (2026-03-01T14:03:22.000Z)
#   decimal       money in major units (48250.00)
#   number        a decimal ratio such as a 0-100 percentage
#   integer       a whole number
#   cents         Stripe amount: integer in the currency's minor unit
#   epoch         Stripe timestamp: Unix epoch seconds
#   bamboo_money  BambooHR money "85,000.00 USD" -> amount + currency column
VALUE_TYPES = (
    "string",
    "boolean",
    "date",
    "timestamp",
    "decimal",
    "number",
    "integer",
    "cents",
    "epoch",
    "bamboo_money",
)

# Domains that come from settings rather than from the contract.
STAGE_NAMES = "settings:stage_names"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    not_null: bool = False
    domain: tuple[str, ...] | str | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.type not in VALUE_TYPES:
            raise ValueError(f"column {self.name}: unknown value type {self.type!r}")


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    files: tuple[str, ...]
    columns: tuple[Column, ...]
    id_columns: tuple[str, ...]
    optional: bool = False
    deleted_flag: str | None = None

    @property
    def key(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _c(name: str, type_: str = "string", **checks) -> Column:
    return Column(name, type_, **checks)


_ID = {"not_null": True}
_AMOUNT = {"min_value": 0}
_PERCENT = {"min_value": 0, "max_value": 100}

CRM = (
    Entity(
        "crm",
        "user",
        ("User.csv",),
        (
            _c("Id", **_ID),
            _c("Name"),
            _c("Email"),
            _c("IsActive", "boolean"),
            _c("ManagerId"),
            _c("UserRoleId"),
            _c("EmployeeNumber"),
            _c("Title"),
            _c("CreatedDate", "timestamp"),
        ),
        ("Id",),
    ),
    Entity(
        "crm",
        "user_role",
        ("UserRole.csv",),
        (
            _c("Id", **_ID),
            _c("Name"),
            _c("ParentRoleId"),
        ),
        ("Id",),
    ),
    Entity(
        "crm",
        "account",
        ("Account.csv",),
        (
            _c("Id", **_ID),
            _c("Name"),
            _c("Type"),
            _c("Industry"),
            _c("BillingCountry"),
            _c("NumberOfEmployees", "integer", min_value=0),
            _c("AnnualRevenue", "decimal", **_AMOUNT),
            _c("OwnerId"),
            _c("CreatedDate", "timestamp"),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        deleted_flag="IsDeleted",
    ),
    Entity(
        "crm",
        "lead",
        ("Lead.csv",),
        (
            _c("Id", **_ID),
            _c("Company"),
            _c("Status"),
            _c("LeadSource"),
            _c("OwnerId"),
            _c("CreatedDate", "timestamp"),
            _c("IsConverted", "boolean"),
            _c("ConvertedDate", "date"),
            _c("ConvertedAccountId"),
            _c("ConvertedOpportunityId"),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        deleted_flag="IsDeleted",
    ),
    Entity(
        "crm",
        "opportunity",
        ("Opportunity.csv",),
        (
            _c("Id", **_ID),
            _c("Name"),
            _c("AccountId"),
            _c("OwnerId"),
            _c("Type", domain=("New Business", "Existing Business", "Renewal")),
            _c("LeadSource"),
            _c("StageName", domain=STAGE_NAMES),
            _c("Amount", "decimal", **_AMOUNT),
            _c("Probability", "number", **_PERCENT),
            _c("ForecastCategoryName", domain=("Pipeline", "Best Case", "Commit", "Closed", "Omitted")),
            _c("CloseDate", "date"),
            _c("CreatedDate", "timestamp"),
            _c("IsClosed", "boolean"),
            _c("IsWon", "boolean"),
            _c("LastModifiedDate", "timestamp"),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        deleted_flag="IsDeleted",
    ),
    Entity(
        "crm",
        "opportunity_history",
        ("OpportunityHistory.csv",),
        (
            _c("Id", **_ID),
            _c("OpportunityId", not_null=True),
            _c("StageName", domain=STAGE_NAMES),
            _c("Amount", "decimal", **_AMOUNT),
            _c("Probability", "number", **_PERCENT),
            _c("ForecastCategory", domain=("Pipeline", "BestCase", "Forecast", "Closed", "Omitted")),
            _c("CloseDate", "date"),
            _c("CreatedDate", "timestamp", not_null=True),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        deleted_flag="IsDeleted",
    ),
    Entity(
        "crm",
        "opportunity_split",
        ("OpportunitySplit.csv",),
        (
            _c("Id", **_ID),
            _c("OpportunityId", not_null=True),
            _c("SplitOwnerId", not_null=True),
            _c("SplitPercentage", "number", **_PERCENT),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        optional=True,
        deleted_flag="IsDeleted",
    ),
    Entity(
        "crm",
        "task",
        ("Task.csv",),
        (
            _c("Id", **_ID),
            _c("OwnerId"),
            _c("WhoId"),
            _c("WhatId"),
            _c("Subject"),
            _c("Type"),
            _c("Status"),
            _c("ActivityDate", "date"),
            _c("IsClosed", "boolean"),
            _c("CreatedDate", "timestamp"),
            _c("IsDeleted", "boolean"),
        ),
        ("Id",),
        deleted_flag="IsDeleted",
    ),
)

BILLING = (
    Entity(
        "billing",
        "customer",
        ("customers.csv",),
        (
            _c("id", **_ID),
            _c("name"),
            _c("email"),
            _c("created", "epoch"),
            _c("currency"),
            _c("delinquent", "boolean"),
            _c("metadata.salesforce_account_id"),
        ),
        ("id",),
    ),
    Entity(
        "billing",
        "subscription",
        ("subscriptions.csv",),
        (
            _c("id", **_ID),
            _c("customer", not_null=True),
            _c(
                "status",
                domain=(
                    "trialing",
                    "active",
                    "past_due",
                    "unpaid",
                    "canceled",
                    "incomplete",
                    "incomplete_expired",
                    "paused",
                ),
            ),
            _c("created", "epoch"),
            _c("start_date", "epoch"),
            _c("current_period_start", "epoch"),
            _c("current_period_end", "epoch"),
            _c("cancel_at_period_end", "boolean"),
            _c("canceled_at", "epoch"),
            _c("ended_at", "epoch"),
            _c("metadata.salesforce_opportunity_id"),
        ),
        ("id",),
    ),
    Entity(
        "billing",
        "subscription_item",
        ("subscription_items.csv",),
        (
            _c("id", **_ID),
            _c("subscription", not_null=True),
            _c("price.id"),
            _c("price.unit_amount", "cents", **_AMOUNT),
            _c("price.currency"),
            _c("price.recurring.interval", domain=("day", "week", "month", "year")),
            _c("price.recurring.interval_count", "integer", min_value=1),
            _c("quantity", "integer", **_AMOUNT),
            _c("created", "epoch"),
        ),
        ("id",),
    ),
    Entity(
        "billing",
        "invoice",
        ("invoices.csv",),
        (
            _c("id", **_ID),
            _c("number"),
            _c("customer", not_null=True),
            _c("subscription"),
            _c("status", domain=("draft", "open", "paid", "void", "uncollectible")),
            _c("billing_reason"),
            _c("currency"),
            _c("subtotal", "cents"),
            _c("tax", "cents", **_AMOUNT),
            _c("total", "cents"),
            _c("amount_due", "cents", **_AMOUNT),
            _c("amount_paid", "cents", **_AMOUNT),
            _c("amount_remaining", "cents", **_AMOUNT),
            _c("created", "epoch"),
            _c("period_start", "epoch"),
            _c("period_end", "epoch"),
            _c("due_date", "epoch"),
            _c("status_transitions.paid_at", "epoch"),
            _c("status_transitions.voided_at", "epoch"),
        ),
        ("id",),
    ),
    Entity(
        "billing",
        "refund",
        ("refunds.csv",),
        (
            _c("id", **_ID),
            _c("charge"),
            _c("invoice"),
            _c("amount", "cents", **_AMOUNT),
            _c("currency"),
            _c("created", "epoch"),
            _c("reason"),
            _c("status", domain=("pending", "requires_action", "succeeded", "failed", "canceled")),
        ),
        ("id",),
        optional=True,
    ),
)

HR = (
    Entity(
        "hr",
        "employee",
        ("employees.csv", "employees.xlsx"),
        (
            _c("Employee #", **_ID),
            _c("First Name"),
            _c("Last Name"),
            _c("Work Email"),
            _c("Job Title"),
            _c("Department"),
            _c("Division"),
            _c("Location"),
            _c("Supervisor EID"),
            _c("Hire Date", "date"),
            _c("Termination Date", "date"),
            _c("Employment Status", domain=("Full-Time", "Part-Time", "Contractor", "Terminated")),
            _c("Pay Rate", "bamboo_money", **_AMOUNT),
            _c("Pay Per", domain=("Year", "Hour")),
            _c("Variable Pay Target", "bamboo_money", **_AMOUNT),
        ),
        ("Employee #",),
    ),
    Entity(
        "hr",
        "job_history",
        ("job_history.csv", "job_history.xlsx"),
        (
            _c("Employee #", **_ID),
            _c("Effective Date", "date", not_null=True),
            _c("Job Title"),
            _c("Department"),
            _c("Division"),
            _c("Location"),
            _c("Supervisor EID"),
        ),
        ("Employee #", "Effective Date"),
        optional=True,
    ),
    Entity(
        "hr",
        "candidate",
        ("candidates.csv", "candidates.xlsx"),
        (
            _c("Candidate ID", **_ID),
            _c("Job"),
            _c("Department"),
            _c("Source"),
            _c(
                "Current Stage",
                domain=("Application Review", "Phone Screen", "Interview", "Offer", "Hired", "Rejected"),
            ),
            _c("Applied Date", "date"),
            _c("Hired Date", "date"),
            _c("Rejected Date", "date"),
        ),
        ("Candidate ID",),
        optional=True,
    ),
)

PLANNING = (
    Entity(
        "planning",
        "quota",
        ("quotas.csv", "quotas.xlsx"),
        (
            _c("employee_number", **_ID),
            _c("period", not_null=True, pattern=r"^(FY\d{4}-Q[1-4]|\d{4}-(0[1-9]|1[0-2]))$"),
            _c("quota_amount", "decimal", not_null=True, **_AMOUNT),
        ),
        ("employee_number", "period"),
    ),
    Entity(
        "planning",
        "territory",
        ("territories.csv", "territories.xlsx"),
        (
            _c("territory_id", **_ID),
            _c("name"),
            _c("region"),
            _c("segment"),
            _c("owner_employee_number"),
        ),
        ("territory_id",),
        optional=True,
    ),
    Entity(
        "planning",
        "account_territory",
        ("account_territories.csv", "account_territories.xlsx"),
        (
            _c("account_id", **_ID),
            _c("territory_id", not_null=True),
        ),
        ("account_id",),
        optional=True,
    ),
    Entity(
        "planning",
        "marketing_spend",
        ("marketing_spend.csv", "marketing_spend.xlsx"),
        (
            _c("month", not_null=True, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
            _c("channel", not_null=True),
            _c("amount", "decimal", not_null=True, **_AMOUNT),
        ),
        ("month", "channel"),
    ),
)

SURVEYS = (
    Entity(
        "surveys",
        "nps_response",
        ("nps_responses.csv",),
        (
            _c("response_id", **_ID),
            _c("account_id"),
            _c("score", "integer", not_null=True, min_value=0, max_value=10),
            _c("submitted_at", "timestamp", not_null=True),
        ),
        ("response_id",),
    ),
)

ENTITIES: tuple[Entity, ...] = CRM + BILLING + HR + PLANNING + SURVEYS
SOURCES: tuple[str, ...] = ("crm", "billing", "hr", "planning", "surveys")

FEEDS_PAY: frozenset[str] = frozenset(
    {"crm.user", "crm.opportunity", "crm.opportunity_split", "billing.subscription", "hr.employee", "planning.quota"}
)
"""The entities commission statements are computed from (with comp_plans.yaml): who owns a deal, its
amount, stage and close date, its splits, the subscription whose cancellation claws it back, the
person and their plan period, the quota. A bad row in one of them always blocks: setting it aside
would change someone's pay. (A test checks this set against the dbt lineage of the commission marts.)"""
QUARANTINABLE: tuple[str, ...] = tuple(entity.key for entity in ENTITIES if entity.key not in FEEDS_PAY)
"""The entities whose bad rows may be set aside (quarantined) while the rest of their delivery lands."""


def entity(key: str) -> Entity:
    """Look an entity up by ``source.name``."""
    for candidate in ENTITIES:
        if candidate.key == key:
            return candidate
    raise KeyError(f"no entity {key!r} in the input contract")
