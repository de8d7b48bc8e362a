"""One alert lifecycle transition worth telling someone about, and what a route may see of it.

A notification never carries a pupil's name (the ledger has none) nor a date of birth. It carries
the UPN only for an alert about one pupil; `for_route` removes it, and the fingerprint derived
from it, before anything reaches a route that is not marked `secure`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import orjson

from services.alerts.candidates import AlertCandidate, Severity

Status = Literal["open", "acknowledged", "resolved", "auto_resolved"]
STATUSES: tuple[Status, ...] = get_args(Status)
OPEN_STATUSES: frozenset[str] = frozenset({"open", "acknowledged"})
SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}

# A UPN or temporary UPN: a letter, 11 digits, a digit or letter. Used to scrub free text.
UPN_SHAPED = re.compile(r"\b[A-Z][0-9]{11}[0-9A-Z]\b")
UPN_WITHHELD = "[UPN withheld]"
_LA_CODE = re.compile(r"^[0-9]{3}$")
_URN = re.compile(r"^[0-9]{6}$")


def scrub_upns(text: str) -> str:
    """`text` with anything shaped like a UPN replaced: for free text bound for a route, a log or
    an error record."""
    return UPN_SHAPED.sub(UPN_WITHHELD, text)


@dataclass(frozen=True, slots=True)
class Notification:
    """An alert as it stands after one lifecycle step (`status`, at `updated_at`).

    `upn` is None for a school-level alert, and on the copy a non-secure route receives
    (`upn_withheld` then says whether there was one). `fingerprint` is None on that copy too: it
    is a hash of the rule and the UPN, so it would let a reader test guesses of the UPN.
    """

    alert_id: str
    rule: str
    severity: Severity
    status: Status
    la_code: str
    school_urn: str
    reason: str  # plain English, no names, no UPN; says it is a prompt for enquiry
    statutory_reference: str
    evidence: tuple[str, ...]  # event ids behind the alert, in order
    opened_at: dt.datetime
    updated_at: dt.datetime
    fingerprint: str | None
    school_name: str | None = None
    upn: str | None = field(default=None, repr=False)
    upn_withheld: bool = False
    # The alert's page in the console (`ROLLWATCH_PUBLIC_URL`/alerts/<id>); None: no public URL set.
    url: str | None = None
    # About a looked-after pupil (routes with `match.looked_after`, the LA's Virtual School, want it).
    looked_after: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not self.alert_id:
            problems.append("alert_id is empty")
        if self.status not in STATUSES:
            problems.append(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.severity not in SEVERITY_RANK:
            problems.append(f"severity {self.severity!r} is not one of low, medium, high")
        if not _LA_CODE.fullmatch(self.la_code):
            problems.append(f"la_code {self.la_code!r} is not 3 digits")
        if not _URN.fullmatch(self.school_urn):
            problems.append(f"school_urn {self.school_urn!r} is not 6 digits")
        for name in ("opened_at", "updated_at"):
            value = getattr(self, name)
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                problems.append(f"{name} must be a datetime with a time zone")
        if problems:
            raise ValueError("invalid notification: " + "; ".join(problems))
        if not isinstance(self.evidence, tuple):
            object.__setattr__(self, "evidence", tuple(self.evidence))

    @property
    def is_open(self) -> bool:
        """Still waiting for an officer (`open` or `acknowledged`)."""
        return self.status in OPEN_STATUSES

    @property
    def about_a_pupil(self) -> bool:
        return self.upn is not None or self.upn_withheld

    @property
    def transition_key(self) -> str:
        """What makes this lifecycle step unique: the same step redelivered has the same key."""
        return f"{self.alert_id}\x1f{self.status}\x1f{self.updated_at.astimezone(dt.UTC).isoformat()}"

    def without_pupil_identifiers(self) -> Notification:
        """The copy a non-secure route receives: no UPN, no fingerprint, free text scrubbed."""
        upn = self.upn

        def clean(text: str) -> str:
            if upn:
                text = text.replace(upn, UPN_WITHHELD)
            return scrub_upns(text)

        return dataclasses.replace(
            self,
            upn=None,
            upn_withheld=self.upn_withheld or upn is not None,
            fingerprint=None,
            reason=clean(self.reason),
            statutory_reference=clean(self.statutory_reference),
            school_name=clean(self.school_name) if self.school_name is not None else None,
        )

    def for_route(self, secure: bool) -> Notification:
        return self if secure else self.without_pupil_identifiers()

    @classmethod
    def from_candidate(
        cls,
        candidate: AlertCandidate,
        *,
        alert_id: str,
        status: Status,
        opened_at: dt.datetime,
        updated_at: dt.datetime,
        school_name: str | None = None,
    ) -> Notification:
        """The notification of an alert built from `candidate` (the lifecycle supplies the rest)."""
        return cls(
            alert_id=alert_id,
            rule=candidate.rule,
            severity=candidate.severity,
            status=status,
            la_code=candidate.la_code,
            school_urn=candidate.school_urn,
            reason=candidate.reason,
            statutory_reference=candidate.statutory_reference,
            evidence=candidate.evidence,
            opened_at=opened_at,
            updated_at=updated_at,
            fingerprint=candidate.fingerprint,
            school_name=school_name,
            upn=candidate.upn,
            looked_after=candidate.looked_after,
        )


def dumps(notifications: Iterable[Notification]) -> str:
    """Notifications as they are stored (a dead letter, a pending delivery): a JSON list."""
    return orjson.dumps([dataclasses.asdict(n) for n in notifications]).decode()


def loads(text: str | bytes) -> tuple[Notification, ...]:
    """What `dumps` stored, as notifications again."""
    return tuple(_from_record(record) for record in orjson.loads(text))


def _from_record(record: dict[str, Any]) -> Notification:
    for name in ("opened_at", "updated_at"):
        record[name] = dt.datetime.fromisoformat(record[name])
    record["evidence"] = tuple(record["evidence"])
    return Notification(**record)
