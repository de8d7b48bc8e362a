"""Figures whose parts of the product are not merged yet: reported as "not available", never
guessed. When the part lands, replace its entry in `rollwatch.bench.runner.FIGURES` by a figure
class (see `rollwatch.bench.figure.Figure`)."""

from __future__ import annotations

from dataclasses import dataclass

from rollwatch.bench.report import Result, Target
from rollwatch.bench.session import Session


@dataclass(frozen=True)
class NotYetAvailable:
    name: str
    title: str
    reason: str
    targets: tuple[Target, ...] = ()
    unit: str = ""

    def result(self) -> Result:
        result = Result.not_available(self.name, self.title, self.reason, self.targets)
        result.unit = self.unit
        return result

    def run(self, session: Session) -> list[Result]:
        return [self.result()]


ALERT_LATENCY = NotYetAvailable(
    "alert_latency_p99",
    "Alert latency p99, ingest -> alert on the API (immediate rules)",
    "the alerts service is not merged yet",
    (Target("max", 1000.0),),
    unit="ms",
)
ALERT_QUALITY = NotYetAvailable(
    "alert_precision_recall",
    "Alert precision / recall against the simulator's ground truth",
    "the alerts service and the simulator are not merged yet",
)
