"""The secrets of the tests that sign and hash in-process (a product started as a process of its
own signs with its own settings: `RunningProduct.issue_key`)."""

from __future__ import annotations

from rollwatch.core.signing import SecretKeys

SECRETS = SecretKeys(b"the tests' secret")
