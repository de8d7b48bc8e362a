"""A real Chromium (Debian's `/usr/bin/chromium`, never a downloaded build) driven by Playwright,
with the checks the console's browser tests share: an axe-core scan (from npm), keyboard-only
navigation, and a screenshot of every page into a git-ignored folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page

from tests.support.cli import ROOT

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "browser-screenshots"


def screenshot(page: Page, name: str, also: Path | None = None) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if also is not None:
        also.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(also), full_page=True)
    return path


def sign_in(page: Page, url: str, key: str, then: str | None = None) -> None:
    """Sign in to the console at `url` with `key` (the first purpose, as preselected), to go to
    `then` afterwards."""
    page.goto(f"{url}/sign-in" + (f"?next={quote(then, safe='')}" if then else ""))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def assert_accessible(page: Page, name: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{name}: {violations}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now (WCAG 2.2 AA)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]  # fmt: skip


def tab_to(page: Page, selector: str, limit: int = 150) -> None:
    """Press Tab until the focused element matches `selector`, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was never reached with Tab")


def focused_text(page: Page) -> str:
    text: str = page.evaluate("() => document.activeElement ? document.activeElement.textContent : ''")
    return re.sub(r"\s+", " ", text).strip()
