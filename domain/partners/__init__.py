"""Partners: resellers and sub-resellers, their codes, numbering, settings and terms.

This package holds the context's rules and aggregates.
"""
