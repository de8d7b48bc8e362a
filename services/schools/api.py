"""The schools register over HTTP: `GET /v1/schools/{urn}` and `GET /v1/schools?la=...` (paged by
URN). Served from the in-memory register in `app.state.schools`; GIAS data is public, and nothing
here is about a pupil."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from services.schools.model import School, SchoolLink
from services.schools.register import SchoolsRegister

router = APIRouter(tags=["schools"])

URN_PATTERN = r"^[0-9]{6}$"
LA_PATTERN = r"^[0-9]{3}$"
MAX_PAGE = 1000

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": 'Unknown URN or LA code: `{"error": "not_found", "message": "..."}`'}
}


async def _register(request: Request) -> SchoolsRegister:
    register: SchoolsRegister = request.app.state.schools
    return register


Register = Annotated[SchoolsRegister, Depends(_register)]


def _not_found(register: SchoolsRegister, message: str) -> JSONResponse:
    if register.version is None:
        message += "; the register is empty: load it with `rollwatch schools import FILE`"
    return JSONResponse({"error": "not_found", "message": message}, status_code=404)


def _link(link: SchoolLink, register: SchoolsRegister) -> dict[str, Any]:
    linked = register.get(link.link_urn)
    return {
        "urn": link.link_urn,
        "name": linked.name if linked else link.link_name,
        "link_type": link.link_type,
        "established_on": link.established_on.isoformat() if link.established_on else None,
        "in_register": linked is not None,
    }


def school_view(school: School, register: SchoolsRegister) -> dict[str, Any]:
    """A school as the API shows it: its GIAS record and its predecessor / successor links."""
    links = register.links_of(school.urn)
    return {
        **school.as_dict(),
        "predecessors": [_link(k, register) for k in links if k.direction == "predecessor"],
        "successors": [_link(k, register) for k in links if k.direction == "successor"],
    }


@router.get(
    "/v1/schools/{urn}",
    summary="One school of the register: name, phase, type, status, LA and links",
    responses=_NOT_FOUND,
)
async def get_school(
    urn: Annotated[str, Path(pattern=URN_PATTERN, description="6-digit URN")],
    register: Register,
) -> Any:
    school = register.get(urn)
    if school is None:
        return _not_found(register, f"no school with URN {urn} in the register")
    return {"register_version": register.version, "school": school_view(school, register)}


@router.get(
    "/v1/schools",
    summary="Schools of the register, optionally of one LA, in URN order, a page at a time",
    responses=_NOT_FOUND,
)
async def list_schools(
    register: Register,
    la: Annotated[str | None, Query(pattern=LA_PATTERN, description="3-digit LA code")] = None,
    after: Annotated[
        str | None, Query(pattern=URN_PATTERN, description="the `next_after` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="schools per page")] = 100,
) -> Any:
    if la is not None and register.count(la) == 0:
        return _not_found(register, f"no school of LA {la} in the register")
    page = register.schools(la, after=after, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    return {
        "register_version": register.version,
        "la": {"code": la, "name": register.la_name(la)} if la is not None else None,
        "total": register.count(la),
        "schools": [school_view(s, register) for s in page],
        "next_after": page[-1].urn if more else None,
    }
