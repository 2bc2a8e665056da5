"""The webhook subscription aggregate: checked URL and event types, one rotation at a time,
idempotent disable and enable."""

from __future__ import annotations

import pytest

from domain.ledger.errors import DomainError
from domain.notifications import NotificationType, drafts_for
from domain.webhooks.subscription import WebhookSubscription


def _subscription() -> WebhookSubscription:
    return WebhookSubscription.subscribe(
        7, 7, "https://hooks.example.com/", ["payout.paid", "invoice.issued", "payout.paid"], "s1"
    )


def test_event_types_are_the_catalogues_deduplicated_and_sorted():
    assert _subscription().event_types == ["invoice.issued", "payout.paid"]
    with pytest.raises(DomainError, match="unknown event type"):
        WebhookSubscription.subscribe(7, 7, "https://h.example/", ["customer.registered"], "s")
    with pytest.raises(DomainError, match="at least one"):
        WebhookSubscription.subscribe(7, 7, "https://h.example/", [], "s")
    with pytest.raises(DomainError, match="http"):
        WebhookSubscription.subscribe(7, 7, "file:///etc/passwd", ["payout.paid"], "s")


def test_one_rotation_at_a_time_newest_secret_first():
    subscription = _subscription()
    subscription.rotate_secret("s2")
    assert subscription.secrets_encrypted == ["s2", "s1"] and subscription.rotating
    with pytest.raises(DomainError, match="under way"):
        subscription.rotate_secret("s3")
    subscription.retire_previous_secret()
    assert subscription.secrets_encrypted == ["s2"]
    with pytest.raises(DomainError, match="no rotation"):
        subscription.retire_previous_secret()


def test_disable_and_enable_record_an_event_only_when_they_change_something():
    subscription = _subscription()
    subscription.disable("receiver gone", automatic=True)
    subscription.disable("again", automatic=False)
    assert not subscription.active and subscription.disabled_reason == "receiver gone"
    subscription.enable()
    subscription.enable()
    names = [type(e).__name__ for e in subscription.collect_events()]
    assert names == ["Created", "Disabled", "Enabled"]


def test_change_records_nothing_when_nothing_changes():
    subscription = _subscription()
    subscription.change(None, ["payout.paid", "invoice.issued"])
    subscription.change("https://other.example.com/", None)
    names = [type(e).__name__ for e in subscription.collect_events()]
    assert names == ["Created", "Changed"] and subscription.url == "https://other.example.com/"


def test_only_an_automatic_disable_notifies():
    automatic = {"reason": "10 failed attempts", "automatic": True}
    (draft,) = drafts_for("WebhookSubscription.Disabled", 7, automatic)
    assert draft.kind == NotificationType.WEBHOOK_DISABLED and draft.reseller == 7
    assert drafts_for("WebhookSubscription.Disabled", 7, {**automatic, "automatic": False}) == []
