"""The notification centre's read side."""
