"""The webhook delivery outbox and the subscriptions as the delivery worker reads them."""
