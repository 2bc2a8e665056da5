"""Support: tickets, the support desk and the knowledge base (routes)."""
