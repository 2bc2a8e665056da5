"""Auditor tooling: rebuild a projection from the event store, swap it in, compare with live."""
