"""Partners: resellers and sub-resellers, their codes, numbering, settings and terms (use cases)."""
