"""Support desk use cases (seed §9): tickets, desk settings, the knowledge base. The rules
live in `domain.support`; these handlers load, check scope and permission, call the domain and
return the outcome through `commands.runner`."""
