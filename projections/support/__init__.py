"""The support desk's read side: the `support` projector (tickets, their history, knowledge-
base articles with a PostgreSQL full-text index) and its queries (`tickets`, `knowledge_base`,
`metrics`)."""
