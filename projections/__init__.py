"""Read models: projectors (event -> rows), their tables, queries, and the feeds that run them."""
