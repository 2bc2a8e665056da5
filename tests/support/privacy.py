"""The test runs' personal-data master key (subprocesses sharing a database get it too)."""

from __future__ import annotations

import base64

TEST_PERSONAL_DATA_KEY = base64.urlsafe_b64encode(b"test-only personal data key 0123"[:32]).decode()
TEST_MASTER_KEY = base64.urlsafe_b64decode(TEST_PERSONAL_DATA_KEY)
PRIVACY_ENV = {"LEDGER_PERSONAL_DATA_KEY": TEST_PERSONAL_DATA_KEY}
