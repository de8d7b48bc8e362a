"""A synthetic extract of a given size, and the month after it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from tools.gias_fixture.builder import Builder
from tools.gias_fixture.extract import ExtractChanges, GiasExtract
from tools.gias_fixture.vocabulary import LOCAL_AUTHORITIES, MAINTAINED, select_las, type_code_of


def synthetic_extract(
    schools: int,
    seed: int = 0,
    *,
    la_codes: Sequence[str] | None = None,
    extract_date: dt.date = dt.date(2025, 1, 6),
    closed_share: float = 0.25,
    conversion_share: float = 0.08,
    include_types: Sequence[str] = ("14", "42", "43", "38", "11", "07"),
) -> GiasExtract:
    """An extract of exactly `schools` rows, deterministic for a given seed and arguments.
    `include_types` (GIAS type codes) each get at least one open school when the size allows:
    by default the alternative provision types, an independent and a special school."""
    if schools < 1:
        raise ValueError("an extract needs at least one school")
    las = select_las(la_codes)
    builder = Builder(random.Random(seed), las, extract_date)
    # Linked groups first: conversions (2 rows), re-brokered academies (3), amalgamations (3).
    budget = schools
    groups = int(schools * conversion_share / 2)
    for index in range(groups):
        kind = index % 10
        size = 3 if kind in (3, 7) else 2
        if size > budget:
            break
        if kind == 3:
            builder.rebrokered_chain()
        elif kind == 7:
            builder.amalgamation()
        else:
            builder.conversion()
        budget -= size
    for code in include_types[:budget]:
        builder.plain(closed=False, type_code=code)
    for _ in range(budget - len(include_types[:budget])):
        builder.plain(closed=builder.rng.random() < closed_share)
    builder.other_links(max(1, schools // 400))
    return builder.extract(seed)


def next_extract(
    previous: GiasExtract,
    *,
    step_seed: int = 1,
    openings: int | None = None,
    closures: int | None = None,
    conversions: int | None = None,
    renames: int | None = None,
    days: int = 28,
) -> tuple[GiasExtract, ExtractChanges]:
    """The following extract: some schools open, close, convert to academies or change name; every
    other row is written byte for byte as before."""
    size = len(previous.schools)
    default = max(1, size // 500)
    openings = default if openings is None else openings
    closures = default if closures is None else closures
    conversions = default if conversions is None else conversions
    renames = default if renames is None else renames
    date = previous.extract_date + dt.timedelta(days=days)
    rng = random.Random(f"{previous.seed}:{step_seed}:{date}")
    las = {la[0]: la for la in LOCAL_AUTHORITIES}
    present = [las.get(s.la_code, (s.la_code, s.la_name, "", "")) for s in previous.schools]
    builder = Builder(rng, tuple(dict.fromkeys(present)), date)
    builder.adopt(previous)

    candidates = [s for s in previous.schools if s.is_open and not s.is_alternative_provision]
    rng.shuffle(candidates)
    added: set[str] = set()
    changed: set[str] = set()
    closed: set[str] = set()
    maintained = [s for s in candidates if type_code_of(s.type_name) in MAINTAINED]
    for school in maintained[:conversions]:
        academy = builder.convert(school, close_on=date - dt.timedelta(days=rng.randint(2, days)))
        added.add(academy.urn)
        changed.add(school.urn)
        closed.add(school.urn)
    others = [s for s in candidates if s.urn not in changed]
    for school in others[:closures]:
        builder.close(school, on=date - dt.timedelta(days=rng.randint(1, days)))
        changed.add(school.urn)
        closed.add(school.urn)
    for school in others[closures : closures + renames]:
        builder.rename(school)
        changed.add(school.urn)
    for _ in range(openings):
        added.add(builder.plain(closed=False, new_provision=True).urn)
    return builder.extract(previous.seed), ExtractChanges(
        frozenset(added), frozenset(changed), frozenset(closed)
    )
