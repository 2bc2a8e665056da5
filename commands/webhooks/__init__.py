"""Webhook subscriptions: their lifecycle, secrets, replays and redeliveries."""
