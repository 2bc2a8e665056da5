"""Adapters and wiring: settings, event store, embedded Postgres, Kafka relay, logging, CLI."""
