"""Reporting: dashboards, reports, exports, report schedules and the BI schema (read models)."""
