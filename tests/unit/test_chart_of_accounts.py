"""The chart of accounts, listed: stored postings name these accounts, so each name is pinned
byte for byte, and every module builds names through domain.ledger.accounts."""

import pathlib
import re

from domain.ledger import accounts

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_chart() -> None:
    assert accounts.ISP_ACCOUNTS == (
        "assets:cash",
        "assets:vat_input",
        "liabilities:vat_output",
        "liabilities:backup_withholding",
        "equity:fx_conversion",
        "income:wholesale",
        "expenses:commissions",
        "expenses:commission_dispute_interest",
    )
    assert accounts.PER_RESELLER_ACCOUNTS == (
        "assets:reseller_receivable",
        "liabilities:commission_payable",
        "assets:customer_receivable",
        "income:services",
        "liabilities:tax_payable",
        "liabilities:customer_credit",
        "assets:cash",
        "assets:chargebacks_receivable",
    )


def test_per_reseller_accounts_append_the_number() -> None:
    assert accounts.reseller_receivable(7) == "assets:reseller_receivable:7"
    assert accounts.commission_payable(7) == "liabilities:commission_payable:7"
    assert accounts.customer_receivable(7) == "assets:customer_receivable:7"
    assert accounts.services_revenue(7) == "income:services:7"
    assert accounts.tax_payable(7) == "liabilities:tax_payable:7"
    assert accounts.customer_credit(7) == "liabilities:customer_credit:7"
    assert accounts.reseller_cash(7) == "assets:cash:7"
    assert accounts.chargebacks_receivable(7) == "assets:chargebacks_receivable:7"


def test_the_other_modules_use_the_chart() -> None:
    from domain.billing import ledger_accounts
    from domain.commissions import records
    from domain.commissions.payout_settlement import settle
    from domain.ledger.money import Money
    from projections.reporting.read_model import RECEIVABLE_PREFIX

    assert records.payable_account(3) == accounts.commission_payable(3)
    assert ledger_accounts.receivable(3) == accounts.customer_receivable(3)
    assert accounts.customer_receivable(3)[:-1] == RECEIVABLE_PREFIX
    settlement = settle(3, Money.of("10.00", "USD"), Money.of("0", "USD").amount, False, False,
                        Money.zero("USD"), "USD", None)  # fmt: skip
    assert {p.account for p in settlement.postings} <= {
        accounts.commission_payable(3),
        "assets:cash",
    }


def test_no_account_name_is_spelled_outside_the_chart() -> None:
    spelled = re.compile(r"\"(assets|liabilities|equity|income|expenses):")
    offenders = [
        str(path.relative_to(ROOT))
        for layer in ("domain", "commands", "projections", "api", "infra", "replays")
        for path in (ROOT / layer).rglob("*.py")
        if path.name != "accounts.py" and spelled.search(path.read_text())
    ]
    assert offenders == []
