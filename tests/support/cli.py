"""Runs the `rollwatch` command as a user would, in its own process."""

from __future__ import annotations

import subprocess

from tools.harness.product import ROOT, rollwatch_env, run_rollwatch

__all__ = ["ROOT", "rollwatch"]


def rollwatch(*args: str, timeout: float = 180, **settings: str) -> subprocess.CompletedProcess[str]:
    return run_rollwatch(*args, env=rollwatch_env(settings), timeout=timeout)
