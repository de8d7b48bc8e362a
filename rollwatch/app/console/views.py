"""The console's pages, put together: sign in with a key and a purpose (`sign_in`); for LA
officers the inbox (`inbox_page`), an alert's page and its actions (`alert_pages`), silences
(`silences_pages`), and the LA dashboard and schools' pages (`statistics_pages`); for every role a
pupil's timeline (`pupil_pages`); for auditors the ledger's integrity and "verify now"
(`ledger_pages`) and the access log (`access_log_page`); on the plumbing they share (`web`).
Server-rendered (Jinja2, GOV.UK and MOJ Design System markup);
every page works without JavaScript. Actions go through `services.alerts.casework`, as the JSON
API's do, so a step taken here is the same step, attributed to the officer's key id and name.

The routers are included in this order, which is the order their routes are tried in."""

from __future__ import annotations

from fastapi import APIRouter

from rollwatch.app.console import (
    access_log_page,
    alert_pages,
    inbox_page,
    ledger_pages,
    pupil_pages,
    sign_in,
    silences_pages,
    statistics_pages,
)
from rollwatch.app.console.web import Console, SignInRequired, sign_in_redirect

__all__ = ["Console", "SignInRequired", "router", "sign_in_redirect"]

router = APIRouter(include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(inbox_page.router)
router.include_router(alert_pages.router)  # `/alerts/{id}/purpose` before `/alerts/{id}/{action}`
router.include_router(silences_pages.router)
router.include_router(statistics_pages.router)
router.include_router(pupil_pages.router)
router.include_router(ledger_pages.router)
router.include_router(access_log_page.router)
