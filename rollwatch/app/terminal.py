"""What `rollwatch run` tells the person who typed it: a few lines of steps, a progress bar, and
the addresses and keys they need next. On a terminal with colours and a live progress bar; piped
or redirected, the same lines as plain text (no bar). Logs go elsewhere (rollwatch.core.logs)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text


class Advance(Protocol):
    def __call__(self, count: int) -> None: ...


def console_link(url: str) -> tuple[str, str] | None:
    """The web console's line in the "Try it" block (rollwatch/app/console, served at `/`)."""
    return ("Console (sign in with the officer's key)", f"{url}/")


def try_it_links(url: str, keys: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The addresses and keys a person needs next, in the order they would use them."""
    rows: list[tuple[str, str]] = []
    console = console_link(url)
    if console is not None:
        rows.append(console)
    rows.append(("API docs", f"{url}/docs"))
    if keys:
        rows.append(("LA officer's key", keys["la_officer"]))
        rows.append(("Auditor's key", keys["auditor"]))
    return rows


class Screen:
    """The person's side of stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False, soft_wrap=True)
        utf = (self.console.encoding or "").lower().startswith("utf")
        self._tick = "✓" if utf else "*"

    @property
    def live(self) -> bool:
        """A terminal that can redraw a line (spinners, progress bars)."""
        return self.console.is_terminal and not self.console.is_dumb_terminal

    def done(self, text: str) -> None:
        self.console.print(Text.assemble((self._tick, "bold green"), " ", text))

    def note(self, text: str) -> None:
        self.console.print(Text("  " + text, style="dim"))

    def problem(self, text: str) -> None:
        self.console.print(Text.assemble(("!", "bold yellow"), " ", text))

    def say(self, text: str = "", style: str = "") -> None:
        self.console.print(Text(text, style=style))

    def table(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        self.say(title, style="bold")
        width = max((len(label) for label, _ in rows), default=0)
        for label, value in rows:
            self.console.print(Text.assemble("  ", (label.ljust(width), "cyan"), "  ", value))

    @contextmanager
    def working(self, text: str) -> Iterator[None]:
        """A spinner while something takes a while (on a terminal); plain text otherwise."""
        if self.live:
            with self.console.status(text):
                yield
        else:
            self.say(text)
            yield

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Advance]:
        """A progress bar on a terminal; nothing otherwise (the caller says the outcome)."""
        if not self.live:
            yield lambda count: None
            return
        bar = Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        with bar:
            task = bar.add_task(description, total=total)
            yield lambda count: bar.advance(task, count)
