"""Reporting: dashboards, reports, exports, report schedules and the BI schema.

This package holds the context's rules and aggregates.
"""
