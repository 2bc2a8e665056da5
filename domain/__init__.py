"""The ledger's domain: aggregates, value objects, events and business rules. No I/O."""
