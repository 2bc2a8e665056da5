"""Credit: the reseller's credit account with the ISP and its controls (routes)."""
