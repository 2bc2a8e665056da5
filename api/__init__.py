"""The HTTP API: thin routers that parse, call commands/ or projections/, and shape responses."""
