"""What a figure is: a name (for `--only`), a title, and `run(session)` returning its results
(one or more rows of the report). Each figure measures its baseline itself, in the same run."""

from __future__ import annotations

from typing import Protocol

from tools.bench.report import Result
from tools.bench.session import Session


class Figure(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def run(self, session: Session) -> list[Result]: ...
