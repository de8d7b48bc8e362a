"""One alert of the ground truth.

Format (one JSON object per line, `GroundTruthEntry.as_json`): `rule`, `fingerprint` (as
services.alerts.fingerprints.fingerprint makes it, keyed with this process's settings: compare
with a product run with the same secret), `la_code`, `school_urn`, `upn` (null for a school),
`key_event_id` (the event the alert is about; for suspension_limit the suspension that
crossed 45 days, for high_mobility the enrolment that made the third change; null for a school),
`evidence` (event ids, in the order they took effect), `as_of` (the day the condition was met),
`fires_on` (waiting rules), `injected` (bool), `behaviour` (an injected behaviour's name, or
`background`), `case_id` (the injected case, or null).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GroundTruthEntry:
    rule: str
    fingerprint: str
    la_code: str
    school_urn: str
    upn: str | None
    key_event_id: str | None
    evidence: tuple[str, ...]
    as_of: dt.date
    fires_on: dt.date | None = None
    behaviour: str = "background"
    case_id: str | None = None

    @property
    def injected(self) -> bool:
        return self.behaviour != "background"

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "fingerprint": self.fingerprint,
            "la_code": self.la_code,
            "school_urn": self.school_urn,
            "upn": self.upn,
            "key_event_id": self.key_event_id,
            "evidence": list(self.evidence),
            "as_of": self.as_of.isoformat(),
            "fires_on": self.fires_on.isoformat() if self.fires_on else None,
            "injected": self.injected,
            "behaviour": self.behaviour,
            "case_id": self.case_id,
        }
