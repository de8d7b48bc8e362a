"""`pupil.deleted`: a pupil taken off a school's roll, on one of the reg 9(1) grounds (or, for a pupil
not of compulsory school age, a reg 9(3) one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.codelists import (
    destination_kinds,
    ground_in_force_under_2006,
    grounds_expressible_under_2006,
    non_compulsory_age_grounds,
    regulation_2024_in_force,
)
from schemas.codes import DeletionGroundCode, DestinationKindCode
from schemas.dates import IsoDate
from schemas.envelope import Envelope, EventData
from schemas.events.ground_destinations import GROUND_DESTINATIONS
from schemas.identifiers import CtfSchool, Laestab
from schemas.problems import Violation, raise_violations

_LAESTAB_KINDS = frozenset(code for code, kind in destination_kinds().items() if kind.laestab_allowed)
_REG_2024 = regulation_2024_in_force()
_UNDER_2006 = grounds_expressible_under_2006()
_NON_COMPULSORY_ONLY = non_compulsory_age_grounds()
# Year groups 1 to 11 are of compulsory school age; nursery, reception and 12+ may not be.
_COMPULSORY_YEARS = range(1, 12)


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: DestinationKindCode
    laestab: Laestab | None = Field(default=None, description="The destination school's LAESTAB, when known")

    @model_validator(mode="after")
    def _laestab_fits_kind(self) -> Self:
        if self.laestab is not None and self.kind not in _LAESTAB_KINDS:
            raise_violations(
                "destination",
                [
                    Violation(
                        ("laestab",),
                        "destination_laestab_unexpected",
                        f"a '{self.kind}' destination has no LAESTAB; give one only for: "
                        + ", ".join(sorted(_LAESTAB_KINDS)),
                    )
                ],
            )
        return self


class DeletedData(EventData):
    FACT_DATES = ("la_notified_on", "la_consent_on")

    ground: DeletionGroundCode
    regulation: Literal["2024", "2006"] = Field(
        description="The regulations the deletion was made under: 2024 from 19 August 2024, 2006 before"
    )
    destination: Destination
    la_notified_on: IsoDate | None = Field(default=None, description="When the LA was told of the deletion")
    ctf_destination: CtfSchool | None = Field(
        default=None, description="Where the CTF was sent: a LAESTAB, MMMMMMM, XXXXXXX, or null"
    )
    la_consent_on: IsoDate | None = Field(
        default=None,
        description="When the LA consented to the withdrawal for home education of a relevant child "
        "(s434A Education Act 1996, once in force): a child the LA placed in a special school, or "
        "subject to s47 enquiries",
    )

    @model_validator(mode="after")
    def _ground_fits(self) -> Self:
        raise_violations("data", self._ground_violations())
        return self

    def _ground_violations(self) -> Iterator[Violation]:
        allowed = GROUND_DESTINATIONS[self.ground]
        if self.destination.kind not in allowed:
            yield Violation(
                ("destination", "kind"),
                "ground_destination_mismatch",
                f"ground '{self.ground}' cannot have a '{self.destination.kind}' destination; "
                f"it allows: {', '.join(sorted(allowed))}",
            )
        if self.regulation == "2006" and self.ground not in _UNDER_2006:
            yield Violation(
                ("ground",),
                "regulation_2006_ground_unmapped",
                f"no 2006 regulation ground corresponds to '{self.ground}'",
            )

    def event_violations(self, event: Envelope) -> Iterator[Violation]:
        expected = "2024" if event.occurred_on >= _REG_2024 else "2006"
        if self.regulation != expected:
            yield Violation(
                ("data", "regulation"),
                "regulation_date_mismatch",
                f"a deletion taking effect on occurred_on is made under the {expected} regulations "
                f"(the 2024 regulations apply from {_REG_2024.isoformat()})",
            )
        elif (
            self.regulation == "2006"
            and self.ground in _UNDER_2006
            and not ground_in_force_under_2006(self.ground, event.occurred_on)
        ):
            yield Violation(
                ("data", "ground"),
                "regulation_2006_ground_not_in_force",
                f"the 2006 ground corresponding to '{self.ground}' was not yet in force on occurred_on",
            )
        if self.ground in _NON_COMPULSORY_ONLY and event.pupil.year_group in _COMPULSORY_YEARS:
            yield Violation(
                ("data", "ground"),
                "ground_needs_non_compulsory_age",
                f"'{self.ground}' is a reg 9(3) ground, for pupils not of compulsory school age (nursery, "
                "reception, Year 12 and above); a pupil in Years 1 to 11 needs a reg 9(1) ground",
            )


class PupilDeleted(Envelope):
    type: Literal["pupil.deleted"]
    data: DeletedData
