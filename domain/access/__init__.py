"""Access: users, roles and permissions, sessions, two-factor, API tokens (rules and aggregates)."""
