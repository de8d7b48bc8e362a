"""String fields whose allowed values come from a code list (schemas/codelists/*.json).

Each type checks membership in a frozenset built once at import, and publishes the values as an
`enum` in the generated JSON Schema, so a new code list version shows up there too."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from pydantic import AfterValidator, StrictStr, WithJsonSchema

from schemas.codelists import (
    ap_arrangements,
    ap_tiers,
    deletion_grounds,
    destination_kinds,
    exclusion_reasons,
)
from schemas.problems import rule_error


def _member_of(codes: Iterable[str], rule: str, what: str) -> Callable[[str], str]:
    allowed = frozenset(codes)
    listed = ", ".join(sorted(allowed))

    def check(value: str) -> str:
        if value not in allowed:
            raise rule_error(rule, f"'{value}' is not a known {what}; use one of: {listed}")
        return value

    return check


def _enum(codes: Iterable[str], description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": sorted(codes), "description": description})


DeletionGroundCode = Annotated[
    StrictStr,
    AfterValidator(_member_of(deletion_grounds(), "deletion_ground_unknown", "deletion ground")),
    _enum(deletion_grounds(), "A 2024 reg 9(1) ground, by its code (codelists/deletion_grounds.json)"),
]
DestinationKindCode = Annotated[
    StrictStr,
    AfterValidator(_member_of(destination_kinds(), "destination_kind_unknown", "destination kind")),
    _enum(destination_kinds(), "Where the pupil went (codelists/destination_kinds.json)"),
]
ExclusionReasonCode = Annotated[
    StrictStr,
    AfterValidator(_member_of(exclusion_reasons(), "exclusion_reason_unknown", "exclusion reason code")),
    _enum(
        exclusion_reasons(),
        "A DfE exclusion reason code; it must be valid in the academic year of occurred_on "
        "(codelists/exclusion_reasons.json)",
    ),
]
ApArrangementCode = Annotated[
    StrictStr,
    AfterValidator(_member_of(ap_arrangements(), "ap_arrangement_unknown", "AP arrangement")),
    _enum(ap_arrangements(), "How the placement is arranged (codelists/alternative_provision.json)"),
]
ApTierCode = Annotated[
    StrictStr,
    AfterValidator(_member_of(ap_tiers(), "ap_tier_unknown", "AP tier")),
    _enum(ap_tiers(), "The AP tier (codelists/alternative_provision.json)"),
]
