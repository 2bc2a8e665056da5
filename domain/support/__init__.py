"""The support desk (seed §9, §3.4, §12.3): tickets with their conversation, escalation to the
master ISP and SLAs (`tickets`, `sla`, `business_hours`), each reseller's desk settings
(`desk`: routing rules, SLA targets, calendar) and the knowledge base (`knowledge_base`)."""
