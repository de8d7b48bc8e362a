"""Runs the `rollwatch` command as a user would, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rollwatch_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLWATCH_")}
    env.update({f"ROLLWATCH_{k.upper()}": v for k, v in settings.items()})
    return env


def rollwatch(*args: str, timeout: float = 180, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollwatch", *args],
        env=rollwatch_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
