"""The console's static files: GOV.UK Frontend, MOJ Frontend and Chart.js from the npm-installed
`node_modules` (`npm ci`, done by `make`), and the console's own few files. Nothing is fetched
from anywhere at run time. Their stylesheets ask for `/assets/fonts/…` and `/assets/images/…`."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from rollwatch.core.http_errors import ApiError

OWN = Path(__file__).parent / "static"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def files(node_modules: Path) -> tuple[dict[str, Path], dict[str, list[Path]]]:
    govuk = node_modules / "govuk-frontend" / "dist" / "govuk"
    moj = node_modules / "@ministryofjustice" / "frontend" / "moj"
    named = {
        "govuk-frontend.min.css": govuk / "govuk-frontend.min.css",
        "govuk-frontend.min.js": govuk / "govuk-frontend.min.js",
        "moj-frontend.min.css": moj / "moj-frontend.min.css",
        "moj-frontend.min.js": moj / "moj-frontend.min.js",
        "console.css": OWN / "console.css",
        "console.mjs": OWN / "console.mjs",
        "chart.umd.min.js": node_modules / "chart.js" / "dist" / "chart.umd.min.js",
        "charts.mjs": OWN / "charts.mjs",
    }
    folders = {
        "fonts": [govuk / "assets" / "fonts"],
        "images": [govuk / "assets" / "images", moj / "assets" / "images"],
    }
    return named, folders


def router(node_modules: Path) -> APIRouter:
    named, folders = files(node_modules)
    assets = APIRouter(include_in_schema=False)
    headers = {"Cache-Control": "public, max-age=3600"}

    @assets.get("/assets/{name}")
    async def asset(name: str) -> FileResponse:
        path = named.get(name)
        if path is None or not path.is_file():
            raise ApiError(404, "not_found", "no such file")
        media = "text/javascript" if name.endswith((".js", ".mjs")) else None
        return FileResponse(path, media_type=media, headers=headers)

    @assets.get("/assets/{folder}/{name}")
    async def asset_in(folder: str, name: str) -> FileResponse:
        if not _NAME.match(name):
            raise ApiError(404, "not_found", "no such file")
        for directory in folders.get(folder, []):
            path = directory / name
            if path.is_file():
                return FileResponse(path, headers=headers)
        raise ApiError(404, "not_found", "no such file")

    return assets
