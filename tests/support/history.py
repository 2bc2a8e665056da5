"""A generated business history, driven through the real command handlers.

Several top-level resellers (one currency each), each with a sub-reseller and a
sub-sub-reseller (pass-through commissions along the chain), team members, tariffs, pricing
rules, customers with services; then month by month over two tax years (business time from the
commands' `received_at`, so 2025 and 2026 whatever today's date): invoices for every
customer, payments (some partial, some failed first), credit notes and refunds, tariff
upgrades, suspensions, the resellers' credit-account payments and extra wholesale charges,
commission clearing after the holding period and approval by the ISP, and closing the 2025
books in January 2026 followed by corrections posted into the open period.

Everything is seeded (`seed`), so a run is reproducible. The recorded instants (the store's
`recorded_at`) are real time; only business dates are simulated.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from commands.access.auth import AuthConfig, AuthServices
from commands.access.users import CreateUser, create_user
from commands.billing.books import CloseBooks, close_books
from commands.billing.corrections import CreditNote, Refund, issue_credit_note, issue_refund
from commands.billing.cycles import month_of
from commands.billing.invoicing import BillingPeriod, bill_customer
from commands.billing.payments import (
    CustomerPayment,
    FailedPayment,
    record_customer_payment,
    record_failed_payment,
)
from commands.catalogue.tariffs import (
    AuthorizeTariff,
    DefineTariff,
    SetPricing,
    authorize_tariff,
    define_tariff,
    set_pricing,
)
from commands.commissions.accrual import approve_commission, clear_commission
from commands.commissions.disputes import (
    DisputeConfig,
    DisputeItem,
    Resolve,
    StartReview,
    SubmitDispute,
    resolve,
    start_review,
    submit_dispute,
)
from commands.credit.credit_account import (
    RecordCharge,
    RecordPayment,
    record_charge,
    record_payment,
)
from commands.customers.customers import (
    ChangeCustomerStatus,
    CreateCustomer,
    change_customer_status,
    create_customer,
)
from commands.customers.services import (
    AddService,
    ChangeServiceStatus,
    ChangeTariff,
    add_service,
    change_service_status,
    change_tariff,
)
from commands.partners.resellers import (
    CreateReseller,
    CreateSubReseller,
    create_reseller,
    create_sub_reseller,
)
from commands.principal import Principal, RequestContext
from commands.runner import CommandResult
from domain.access.roles import Role
from tests.support.builders import ISP, reseller_principal
from tests.support.tickets import ticket
from tests.support.webhooks import new_subscription

CURRENCIES = ("USD", "EUR", "NGN")
METHODS = ("card", "bank_transfer", "cash", "wallet")
CHAIN_RATES = (Decimal("15.00"), Decimal("10.00"), Decimal("6.00"))
"""Commission percent of a top-level reseller, its sub-reseller and that one's child."""
TOP_CREDIT_LIMIT = Decimal("10000000.00")
TARIFF_PRICES = (Decimal("20.00"), Decimal("35.50"))
"""Each currency has a basic and a premium tariff (upgrades go basic -> premium)."""


@dataclass
class HistoryPlan:
    seed: int = 2025
    tenants: int = 3
    customers_per_reseller: int = 3
    first_month: date = date(2025, 1, 1)
    last_month: date = date(2026, 5, 1)
    close_year: int | None = 2025
    """Close this year's books in the following January (None: leave every period open)."""


@dataclass
class Customer:
    customer_id: uuid.UUID
    reseller: int
    currency: str
    service_id: uuid.UUID
    invoices: list[tuple[str, Decimal]] = field(default_factory=list)
    """(invoice id, total) in issue order."""
    credited: set[str] = field(default_factory=set)
    """Invoices that already have a credit note."""
    credit: Decimal = Decimal(0)
    """The customer's credit on hand, as the last money command reported it."""
    upgraded: bool = False
    suspended: bool = False


@dataclass
class Reseller:
    number: int
    tenant: int
    currency: str
    charged_this_month: Decimal = Decimal(0)


@dataclass
class Book:
    """One tenant's part of the history (a top-level reseller and its sub-resellers); each book
    is written by its own thread, since tenants share no aggregates after set-up."""

    plan: HistoryPlan
    tariffs: dict[str, tuple[int, int]]
    """Per currency: (basic, premium) tariff numbers."""
    resellers: list[Reseller] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    pending_commissions: list[tuple[uuid.UUID, date]] = field(default_factory=list)
    cleared_commissions: list[uuid.UUID] = field(default_factory=list)
    commands: int = 0
    last_position: int = 0
    month: date | None = None
    """The last month written."""

    @property
    def tenants(self) -> list[int]:
        return sorted({r.tenant for r in self.resellers})


@dataclass
class History:
    """What the generator made, for a test to assert on and to continue."""

    plan: HistoryPlan
    tariffs: dict[str, tuple[int, int]] = field(default_factory=dict)
    books: list[Book] = field(default_factory=list)
    seconds: float = 0.0
    setup_commands: int = 0

    @property
    def commands(self) -> int:
        return self.setup_commands + sum(b.commands for b in self.books)

    @property
    def tenants(self) -> list[int]:
        return [t for b in self.books for t in b.tenants]

    @property
    def customers(self) -> list[Customer]:
        return [c for b in self.books for c in b.customers]


class Driver:
    """Runs commands at a simulated business instant and keeps count."""

    def __init__(self, store: Any, history: Book) -> None:
        self.store = store
        self.history = history
        self.now = datetime(2025, 1, 1, 9, tzinfo=UTC)
        self.requests = 0
        self.auth = AuthServices(config=AuthConfig(), sessions=None, throttle=None, box=None)  # type: ignore[arg-type]

    def context(self, principal: Principal = ISP) -> RequestContext:
        self.requests += 1
        return RequestContext(
            principal=principal,
            request_id=f"history-{self.history.plan.seed}-{self.requests}-{uuid.uuid4().hex[:6]}",
            received_at=self.now,
            client_ip="192.0.2.10",
        )

    def run(self, result: CommandResult) -> dict[str, Any]:
        self.history.commands += 1
        if result.position is not None:
            self.history.last_position = max(self.history.last_position, result.position)
        body: dict[str, Any] = json.loads(result.body)
        return body


def _admin(number: int) -> Principal:
    return reseller_principal(number, Role.ADMIN)


def _define_tariffs(driver: Driver) -> None:
    history, store = driver.history, driver.store
    for currency in CURRENCIES[: history.plan.tenants]:
        numbers = []
        for price in TARIFF_PRICES:
            made = driver.run(
                define_tariff(
                    store,
                    driver.context(),
                    DefineTariff(
                        service_type="internet",
                        name=f"Fibre {price} {currency}",
                        wholesale_price=price,
                        currency=currency,
                    ),
                )
            )
            numbers.append(int(made["tariff_id"]))
        history.tariffs[currency] = (numbers[0], numbers[1])


def _open_tenant(driver: Driver, rng: random.Random, index: int) -> None:
    """A top-level reseller with a sub-reseller and a sub-sub-reseller, their tariffs,
    pricing and team members."""
    history, store = driver.history, driver.store
    plan = history.plan
    currency = CURRENCIES[index % len(CURRENCIES)]
    top = driver.run(
        create_reseller(
            store,
            driver.context(),
            CreateReseller(
                reseller_code=f"H{plan.seed}{index}{uuid.uuid4().hex[:6].upper()}",
                name=f"History reseller {index}",
                country=("US", "DE", "NG")[index % 3],
                currency=currency,
                credit_limit=TOP_CREDIT_LIMIT,
                commission_percent=CHAIN_RATES[0],
            ),
        )
    )
    chain = [int(top["reseller_id"])]
    for depth, rate in enumerate(CHAIN_RATES[1:], start=1):
        # The first level is created by the top reseller's own admin, deeper ones by the ISP.
        principal = _admin(chain[0]) if depth == 1 else ISP
        child = driver.run(
            create_sub_reseller(
                store,
                driver.context(principal),
                CreateSubReseller(
                    parent_reseller_id=chain[-1],
                    name=f"History sub {index}.{depth}",
                    commission_percent=rate,
                    credit_limit=TOP_CREDIT_LIMIT / (10 * depth),
                ),
            )
        )
        chain.append(int(child["reseller_id"]))
    for number in chain:
        history.resellers.append(Reseller(number, chain[0], currency))
        for tariff in history.tariffs[currency]:
            driver.run(
                authorize_tariff(store, driver.context(), number, AuthorizeTariff(tariff_id=tariff))
            )
        driver.run(
            set_pricing(
                store,
                driver.context(_admin(number)),
                SetPricing(
                    service_type="internet",
                    tariff_id=history.tariffs[currency][0],
                    markup_type="percent",
                    markup_value=Decimal(rng.choice((15, 20, 25))),
                    effective_from=plan.first_month,
                ),
            )
        )
        for role in ("manager", "user"):
            driver.run(
                create_user(
                    store,
                    driver.auth,
                    driver.context(_admin(number)),
                    CreateUser(
                        username=f"{role}{number}x{plan.seed}",
                        email=f"{role}{number}@example.com",
                        role=role,
                        department="sales",
                    ),
                )
            )


def _add_customers(driver: Driver, rng: random.Random) -> None:
    history, store = driver.history, driver.store
    for reseller in history.resellers:
        for i in range(history.plan.customers_per_reseller):
            admin = driver.context(_admin(reseller.number))
            company = rng.random() < 0.3
            created = driver.run(
                create_customer(
                    store,
                    admin,
                    CreateCustomer(
                        customer_type="company" if company else "person",
                        company_name=f"Firm {reseller.number}-{i}" if company else None,
                        first_name=None if company else f"Cust{i}",
                        last_name=None if company else f"R{reseller.number}",
                        email=f"c{reseller.number}.{i}@example.com",
                        city=rng.choice(("Lagos", "Berlin", "Austin")),
                        reseller_id=reseller.number,
                    ),
                )
            )
            customer_id = uuid.UUID(created["customer_id"])
            driver.run(
                change_customer_status(
                    store,
                    driver.context(_admin(reseller.number)),
                    customer_id,
                    ChangeCustomerStatus(status="active"),
                )
            )
            service = driver.run(
                add_service(
                    store,
                    driver.context(_admin(reseller.number)),
                    customer_id,
                    AddService(tariff_id=history.tariffs[reseller.currency][0]),
                )
            )
            service_id = uuid.UUID(service["service_id"])
            driver.run(
                change_service_status(
                    store,
                    driver.context(_admin(reseller.number)),
                    service_id,
                    ChangeServiceStatus(status="active"),
                )
            )
            history.customers.append(
                Customer(customer_id, reseller.number, reseller.currency, service_id)
            )


def _money_for(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def _bill_and_collect(driver: Driver, rng: random.Random, month: date) -> None:
    """Invoice the month just ended for every customer; most pay it early in the new month."""
    history, store = driver.history, driver.store
    start, end = month_of(month)
    by_number = {r.number: r for r in history.resellers}
    for customer in history.customers:
        if customer.suspended:
            continue
        admin = _admin(customer.reseller)
        billed = driver.run(
            bill_customer(
                store,
                driver.context(admin),
                customer.customer_id,
                BillingPeriod(period_start=start, period_end=end),
            )
        )
        if billed.get("invoice_id") is None:
            continue
        total = Decimal(billed["total"])
        customer.invoices.append((billed["invoice_id"], total))
        reseller = by_number[customer.reseller]
        reseller.charged_this_month += total
        roll = rng.random()
        pay_day = driver.now.date() - timedelta(days=rng.randint(0, 3))
        if roll < 0.06:
            driver.run(
                record_failed_payment(
                    store,
                    driver.context(admin),
                    customer.customer_id,
                    FailedPayment(
                        payment_id=f"p-{uuid.uuid4().hex[:10]}",
                        amount=total,
                        currency=customer.currency,
                        method="card",
                        reason="card declined",
                    ),
                )
            )
        # Most pay in full; some pay half, some overpay (customer credit, refunded later).
        amount = total if 0.15 < roll < 0.93 else (total / 2).quantize(Decimal("0.01"))
        if roll >= 0.93:
            amount = total + Decimal("10.00")
        paid = driver.run(
            record_customer_payment(
                store,
                driver.context(admin),
                customer.customer_id,
                CustomerPayment(
                    amount=amount,
                    currency=customer.currency,
                    method=rng.choice(METHODS),
                    reference=f"ref-{uuid.uuid4().hex[:8]}",
                    effective_date=pay_day,
                ),
            )
        )
        customer.credit = Decimal(paid["credit_balance"])
        hold_until = driver.now.date() + timedelta(days=30)  # from when it was recorded
        history.pending_commissions += [(uuid.UUID(c), hold_until) for c in paid["commissions"]]


def _corrections(driver: Driver, rng: random.Random, count: int, on: date | None = None) -> None:
    """Credit notes on invoices not yet credited, and refunds of customer credit. `on` dates
    them in the past (a backdated correction); by default they take the day they are recorded.
    Either way they correct the past with new events."""
    history, store = driver.history, driver.store
    candidates = [c for c in history.customers if c.invoices]
    for customer in rng.sample(candidates, min(count, len(candidates))):
        admin = _admin(customer.reseller)
        open_invoices = [i for i in customer.invoices if i[0] not in customer.credited]
        if customer.credit > 0 and (rng.random() < 0.5 or not open_invoices):
            result = issue_refund(
                store,
                driver.context(admin),
                customer.customer_id,
                Refund(
                    amount=min(Decimal("3.00"), customer.credit),
                    currency=customer.currency,
                    method="bank_transfer",
                    effective_date=on,
                ),
            )
        elif open_invoices:
            invoice_id, total = rng.choice(open_invoices)
            customer.credited.add(invoice_id)
            result = issue_credit_note(
                store,
                driver.context(admin),
                customer.customer_id,
                CreditNote(
                    invoice_id=invoice_id,
                    net=min(Decimal("5.00"), total / 4).quantize(Decimal("0.01")),
                    currency=customer.currency,
                    reason="service outage goodwill",
                    effective_date=on,
                ),
            )
        else:
            continue
        customer.credit = Decimal(driver.run(result)["credit_balance"])


def _service_changes(driver: Driver, rng: random.Random) -> None:
    history, store = driver.history, driver.store
    for customer in history.customers:
        admin = _admin(customer.reseller)
        roll = rng.random()
        if not customer.upgraded and roll < 0.08:
            customer.upgraded = True
            driver.run(
                change_tariff(
                    store,
                    driver.context(admin),
                    customer.service_id,
                    ChangeTariff(tariff_id=history.tariffs[customer.currency][1]),
                )
            )
        elif not customer.suspended and roll > 0.97:
            customer.suspended = True
            driver.run(
                change_service_status(
                    store,
                    driver.context(admin),
                    customer.service_id,
                    ChangeServiceStatus(status="suspended", reason="unpaid"),
                )
            )
            driver.run(
                change_customer_status(
                    store,
                    driver.context(admin),
                    customer.customer_id,
                    ChangeCustomerStatus(status="suspended", reason="unpaid"),
                )
            )
        elif customer.suspended and roll < 0.5:
            customer.suspended = False
            driver.run(
                change_customer_status(
                    store,
                    driver.context(admin),
                    customer.customer_id,
                    ChangeCustomerStatus(status="active"),
                )
            )
            driver.run(
                change_service_status(
                    store,
                    driver.context(admin),
                    customer.service_id,
                    ChangeServiceStatus(status="active"),
                )
            )


def _reseller_accounts(driver: Driver, rng: random.Random) -> None:
    """Each reseller settles most of last month's wholesale; the ISP adds a fee now and then."""
    history, store = driver.history, driver.store
    for reseller in history.resellers:
        if rng.random() < 0.25:
            driver.run(
                record_charge(
                    store,
                    driver.context(),
                    reseller.number,
                    RecordCharge(
                        amount=_money_for(rng, 500, 5000),
                        currency=reseller.currency,
                        description="platform fee",
                        reference=f"fee-{driver.now:%Y%m}",
                    ),
                )
            )
        if reseller.charged_this_month > 0:
            driver.run(
                record_payment(
                    store,
                    driver.context(_admin(reseller.number)),
                    reseller.number,
                    RecordPayment(
                        amount=(reseller.charged_this_month * Decimal("0.6")).quantize(
                            Decimal("0.01")
                        ),
                        currency=reseller.currency,
                        method="bank_transfer",
                    ),
                )
            )
            reseller.charged_this_month = Decimal(0)


def _commissions(driver: Driver, approve: bool) -> None:
    """The clearing sweep (holding period over), then the ISP approves what has cleared."""
    history, store = driver.history, driver.store
    today = driver.now.date()
    due = [c for c, hold in history.pending_commissions if hold <= today]
    history.pending_commissions = [(c, h) for c, h in history.pending_commissions if h > today]
    for commission_id in due:
        body = driver.run(clear_commission(store, driver.context(), commission_id))
        if body["status"] == "calculated":
            history.cleared_commissions.append(commission_id)
    if approve:
        for commission_id in history.cleared_commissions:
            driver.run(approve_commission(store, driver.context(), commission_id))
        if history.cleared_commissions:
            _dispute(driver, history.cleared_commissions[0])
        history.cleared_commissions = []


def _dispute(driver: Driver, commission_id: UUID) -> None:
    """The reseller disputes a record it was just approved; the ISP reviews and accepts it."""
    store = driver.store
    record = store.repository.get(commission_id)
    if record.status != "approved" or not record.commission_rate:
        return
    config = DisputeConfig()
    submitted = driver.run(
        submit_dispute(
            store,
            driver.context(_admin(record.reseller_number)),
            SubmitDispute(
                items=[
                    DisputeItem(
                        commission_id=commission_id,
                        corrected_base_amount=record.base_amount.amount + Decimal("50.00"),
                    )
                ],
                reason="the customer paid more than recorded",
            ),
            config,
        )
    )
    dispute_id = UUID(submitted["dispute_id"])
    driver.run(start_review(store, driver.context(), dispute_id, StartReview(), config))
    driver.run(
        resolve(
            store,
            driver.context(),
            dispute_id,
            Resolve(decision="accepted", note="confirmed by the bank statement"),
            config,
        )
    )


def _close_year(driver: Driver, year: int) -> None:
    history, store = driver.history, driver.store
    for tenant in history.tenants:
        driver.run(
            close_books(
                store,
                driver.context(_admin(tenant)),
                CloseBooks(through=date(year, 12, 31)),
                tenant,
            )
        )


def _next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def advance(driver: Driver, rng: random.Random, month: date) -> None:
    """One month of business: its invoices and payments (recorded on the 2nd of the next
    month), corrections, service changes, reseller settlements and commissions."""
    plan = driver.history.plan
    driver.now = datetime.combine(_next_month(month), datetime.min.time(), UTC) + timedelta(
        days=1, hours=10
    )
    _bill_and_collect(driver, rng, month)
    _corrections(driver, rng, max(1, len(driver.history.customers) // 10))
    _service_changes(driver, rng)
    _reseller_accounts(driver, rng)
    _commissions(driver, approve=month.month % 2 == 0)
    if plan.close_year is not None and month == date(plan.close_year, 12, 1):
        driver.now += timedelta(days=12)
        _close_year(driver, plan.close_year)
        _corrections(driver, rng, max(1, len(driver.history.customers) // 5))
    driver.history.month = month


def _write_book(store: Any, book: Book, index: int, months: list[date], seed: int) -> None:
    driver = Driver(store, book)
    rng = random.Random(seed * 1000 + index)
    driver.now = datetime.combine(book.plan.first_month, datetime.min.time(), UTC)
    driver.now += timedelta(hours=9)
    for month in months:
        advance(driver, rng, month)


def _months(first: date, last: date) -> list[date]:
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _write_books(store: Any, history: History, months: list[date], seed: int) -> None:
    """Each tenant's book on its own thread (they overlap waiting on the database)."""
    errors: list[BaseException] = []

    def write(index: int, book: Book) -> None:
        try:
            _write_book(store, book, index, months, seed)
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    threads = [
        threading.Thread(target=write, args=(index, book), name=f"history-{index}")
        for index, book in enumerate(history.books)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def generate_history(store: Any, plan: HistoryPlan | None = None) -> History:
    """Write the whole planned history; returns what was made."""
    plan = plan or HistoryPlan()
    history = History(plan)
    started = time.perf_counter()
    catalogue = Book(plan, history.tariffs)
    driver = Driver(store, catalogue)
    driver.now = datetime.combine(plan.first_month, datetime.min.time(), UTC)
    _define_tariffs(driver)
    history.setup_commands = catalogue.commands
    history.books = [Book(plan, history.tariffs) for _ in range(plan.tenants)]
    # Tenants are opened one after the other (they share the reseller registry), then written
    # in parallel.
    for index, book in enumerate(history.books):
        opener = Driver(store, book)
        opener.now = driver.now + timedelta(hours=9)
        _open_tenant(opener, random.Random(plan.seed * 1000 + index), index)
        _add_customers(opener, random.Random(plan.seed * 1000 + index + 500))
        # The support desk has its projection too: one ticket per tenant feeds it.
        ticket(store, book.resellers[0].number, state="in_progress")
        # And the webhooks projection: one subscription per tenant (queues its deliveries).
        new_subscription(store, book.resellers[0].number)
    _write_books(store, history, _months(plan.first_month, plan.last_month), plan.seed)
    history.seconds = time.perf_counter() - started
    return history


def continue_history(store: Any, history: History, months: int, seed: int) -> None:
    """`months` more months after the last one written (e.g. events recorded after an
    instant), with a different seed."""
    following = [max(b.month for b in history.books if b.month is not None)]
    for _ in range(months):
        following.append(_next_month(following[-1]))
    _write_books(store, history, following[1:], seed)


def backdated_corrections(store: Any, history: History, on: date, seed: int) -> None:
    """Corrections dated `on` (in the past) but recorded now: credit notes and refunds for
    half the customers, and a wholesale adjustment on each top-level reseller's account."""
    for index, book in enumerate(history.books):
        assert book.month is not None
        driver = Driver(store, book)
        driver.now = datetime.combine(_next_month(book.month), datetime.min.time(), UTC)
        driver.now += timedelta(days=20, hours=15)
        rng = random.Random(seed * 1000 + index)
        _corrections(driver, rng, max(1, len(book.customers) // 2), on=on)
        for tenant in book.tenants:
            currency = next(r.currency for r in book.resellers if r.number == tenant)
            driver.run(
                record_charge(
                    store,
                    driver.context(),
                    tenant,
                    RecordCharge(
                        amount=Decimal("42.00"),
                        currency=currency,
                        description="backdated wholesale adjustment",
                        effective_date=on,
                    ),
                )
            )
