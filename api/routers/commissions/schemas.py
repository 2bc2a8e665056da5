"""Response shapes of the commissions routes, for the OpenAPI document and for clients. Money
and rates are decimal strings, as the handlers write them. Each model forbids fields it does
not name, so a test that validates a real body against it fails when the body carries a field
the document does not describe."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CommissionsOut(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- plans and calculations -----------------------------------------------------------------


class SetupRuleOut(CommissionsOut):
    amount: str | None = None
    rate: str | None = None


class RateRuleOut(CommissionsOut):
    rate: str


class UsageRuleOut(RateRuleOut):
    service_types: list[str]


class MilestoneOut(CommissionsOut):
    months: int
    amount: str


class RetentionRuleOut(CommissionsOut):
    milestones: list[MilestoneOut]


class TierOut(CommissionsOut):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    amount: str | None = None
    rate: str | None = None


class PerformanceRuleOut(CommissionsOut):
    measure: str
    tiers: list[TierOut]


class PlanVersionOut(CommissionsOut):
    """A plan version: the rules it was given (a type it has no rule for is absent)."""

    version: int
    effective_from: str
    setup: SetupRuleOut | None = None
    recurring: RateRuleOut | None = None
    usage: UsageRuleOut | None = None
    retention: RetentionRuleOut | None = None
    performance: PerformanceRuleOut | None = None


class CommissionPlanOut(CommissionsOut):
    """`GET /resellers/{reseller_id}/commission-plans`: the plan's versions, oldest first."""

    reseller_id: int
    versions: list[PlanVersionOut]


class PlanVersionAddedOut(CommissionPlanOut):
    """The plan as the GET shows it, with the number of the version just added."""

    version: int


class CommissionRecordOut(CommissionsOut):
    commission_id: str
    reseller_id: int
    customer_id: str | None
    commission_type: str
    base_amount: str
    commission_rate: str
    commission_amount: str
    period_start: str
    period_end: str
    status: str
    hold_until: str | None


class CalculationOut(CommissionsOut):
    reseller_id: int
    period_start: str
    period_end: str
    created: list[CommissionRecordOut]
    already_calculated: int
    """How many records of the period existed already (and were not created again)."""


# -- payout schedule, tax profile, FX rates -------------------------------------------------


class PayoutScheduleOut(CommissionsOut):
    reseller_id: int
    frequency: str
    processing_day: int
    minimum_threshold: str
    currency: str
    payment_method: str
    payment_currency: str | None
    net_against_credit: bool
    carried_forward: str
    last_cycle: str | None
    open_cycle: str | None


class TaxProfileOut(CommissionsOut):
    reseller_id: int
    legal_name: str
    address: str
    country: str
    vat_id: str | None
    tin_last4: str | None
    backup_withholding: bool
    set: bool
    """False while the reseller record's own name and country stand in for a profile."""


class FxRateOut(CommissionsOut):
    base: str
    quote: str
    rate: str
    as_of: str
    recorded_at: str


# -- disputes -------------------------------------------------------------------------------


class DisputeItemOut(CommissionsOut):
    commission_id: str
    recorded_base_amount: str
    corrected_base_amount: str
    claimed_adjustment: str


class DisputeDocumentOut(CommissionsOut):
    document_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class InterestOut(CommissionsOut):
    """Recorded at resolution (`final`), or what accepting it today would add."""

    amount: str
    as_of: str | None
    final: bool
    days_late: int | None = None
    annual_rate_percent: str | None = None


class DisputeOut(CommissionsOut):
    """A dispute as every write to it answers (the GET reads the projection, which adds the
    history and more per item)."""

    dispute_id: str
    reseller_id: int
    status: str
    currency: str
    reason: str
    submitted_on: str
    review_due_on: str
    complex: bool
    escalated: bool
    decision: str | None
    resolved_on: str | None
    claimed_amount: str
    items: list[DisputeItemOut]
    documents: list[DisputeDocumentOut]
    interest: InterestOut
    version: int
