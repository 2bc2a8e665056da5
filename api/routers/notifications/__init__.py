"""Notifications: the notification centre, preferences and broadcasts (routes)."""
