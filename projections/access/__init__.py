"""Access: users, roles and permissions, sessions, two-factor, API tokens (read models)."""
