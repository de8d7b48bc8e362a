"""`pupil.ap_referred`, `pupil.ap_review_requested` and `pupil.ap_ended`: a placement in
alternative provision, from its start, review date, objective and planned end, through any review
a parent or the LA asks for, to its outcome."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.codes import ApArrangementCode, ApTierCode
from schemas.dates import IsoDate
from schemas.envelope import Envelope, EventData
from schemas.identifiers import Ukprn, Urn
from schemas.problems import Violation, raise_violations
from schemas.text import LongText, ShortText


class Provider(BaseModel):
    """Who provides the AP: a URN if it is a school or registered AP, a UKPRN, or at least a name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    urn: Urn | None = None
    ukprn: Ukprn | None = None
    name: ShortText | None = None

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if self.urn is None and self.ukprn is None and self.name is None:
            raise_violations(
                "provider",
                [
                    Violation(
                        (), "provider_unidentified", "give the provider's urn, ukprn or name (at least one)"
                    )
                ],
            )
        return self


class ApReferredData(EventData):
    FACT_DATES = ("start_on",)
    PLANNED_DATES = ("review_by", "planned_end_on")

    provider: Provider
    arrangement: ApArrangementCode
    tier: ApTierCode
    start_on: IsoDate
    review_by: IsoDate
    planned_end_on: IsoDate
    objective: LongText

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        raise_violations("data", self._order_violations())
        return self

    def _order_violations(self) -> Iterator[Violation]:
        if self.review_by < self.start_on:
            yield Violation(("review_by",), "review_before_start", "review_by is before start_on")
        if self.planned_end_on < self.start_on:
            yield Violation(
                ("planned_end_on",), "planned_end_before_start", "planned_end_on is before start_on"
            )


class _AboutAPlacement(EventData):
    """What an event about an existing placement carries: the referral that began it."""

    referral_event_id: UUID = Field(description="The event_id of the pupil.ap_referred event")

    def event_violations(self, event: Envelope) -> Iterator[Violation]:
        if self.referral_event_id == event.event_id:
            yield Violation(
                ("data", "referral_event_id"),
                "referral_is_self",
                "referral_event_id must name the pupil.ap_referred event, not this one",
            )


class ApEndedData(_AboutAPlacement):
    FACT_DATES = ("ended_on",)

    ended_on: IsoDate
    outcome: Literal["returned", "new_school", "post16", "removed_from_roll", "other"]


class ApReviewRequestedData(_AboutAPlacement):
    """A written request for a review meeting of an off-site direction (reg 4A of the Education
    (Educational Provision for Improving Behaviour) Regulations 2010, inserted by SI 2012/2532):
    by the parent (or the pupil, aged 18 or over) or, for a pupil with an EHC plan, the LA that
    maintains it. `occurred_on` is the day the request was made."""

    requested_by: Literal["parent", "pupil", "local_authority"]


class PupilApReferred(Envelope):
    type: Literal["pupil.ap_referred"]
    data: ApReferredData


class PupilApReviewRequested(Envelope):
    type: Literal["pupil.ap_review_requested"]
    data: ApReviewRequestedData


class PupilApEnded(Envelope):
    type: Literal["pupil.ap_ended"]
    data: ApEndedData
