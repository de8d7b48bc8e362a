"""Builds the rows and links of an extract: plain schools, academy conversions, re-brokered
chains, amalgamations, closures and renames, with URNs and establishment numbers that do not
clash."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import replace

from services.schools.model import School, SchoolLink
from tools.gias_fixture.extract import GiasExtract
from tools.gias_fixture.vocabulary import (
    AP,
    MAINTAINED,
    POST16,
    SPECIAL,
    TYPE_WEIGHTS,
    academy_name,
    ages,
    phase_for,
    school_name,
    types_by_code,
)


class Builder:
    def __init__(self, rng: random.Random, las: Sequence[tuple[str, str, str, str]], date: dt.date):
        self.rng = rng
        self.las = las
        self.date = date
        self.schools: dict[str, School] = {}
        self.links: list[SchoolLink] = []
        self.reasons: dict[str, tuple[str, str]] = {}
        self.next_urn = 100000
        self.numbers: dict[tuple[str, int], int] = {}

    def adopt(self, extract: GiasExtract) -> None:
        self.schools = {s.urn: s for s in extract.schools}
        self.links = list(extract.links)
        self.reasons = dict(extract.reasons)
        self.next_urn = max(int(u) for u in self.schools) + 1
        for school in extract.schools:
            if school.establishment_number is not None:
                key = (school.la_code, int(school.establishment_number) // 1000 * 1000)
                self.numbers[key] = max(self.numbers.get(key, 0), int(school.establishment_number) % 1000 + 1)

    def extract(self, seed: int) -> GiasExtract:
        schools = tuple(sorted(self.schools.values(), key=lambda s: s.urn))
        links = tuple(sorted(set(self.links), key=lambda k: (k.urn, k.link_urn, k.link_type)))
        return GiasExtract(self.date, seed, schools, links, dict(self.reasons))

    # --- rows -------------------------------------------------------------------------------

    def plain(self, closed: bool, new_provision: bool = False, type_code: str | None = None) -> School:
        rng = self.rng
        code = type_code or rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
        la = rng.choice(self.las)
        school = self._school(code, la, rng.choice(("Open",) * 40 + ("Open, but proposed to close",)))
        if new_provision:
            opened = self.date + dt.timedelta(days=rng.randint(20, 200))
            school = replace(school, status="Proposed to open", opened_on=opened, closed_on=None)
            self.reasons[school.urn] = ("New Provision", "Not applicable")
        elif closed:
            closed_on = self._past_date(2000)
            school = replace(school, status="Closed", closed_on=closed_on, opened_on=self._before(closed_on))
            self.reasons[school.urn] = ("Not applicable", "Closure")
        self.schools[school.urn] = school
        return school

    def conversion(self) -> None:
        maintained = self._school(self.rng.choice(MAINTAINED), self.rng.choice(self.las), "Open")
        self.schools[maintained.urn] = maintained
        self.convert(maintained, close_on=self._past_date(800, after=dt.date(2010, 8, 1)))

    def rebrokered_chain(self) -> None:
        maintained = self._school(self.rng.choice(MAINTAINED), self.rng.choice(self.las), "Open")
        self.schools[maintained.urn] = maintained
        first = self.convert(maintained, close_on=self._past_date(3000, after=dt.date(2011, 8, 1)))
        self.convert(first, close_on=self._past_date(600, after=first.opened_on), sponsor_led=True)

    def amalgamation(self) -> None:
        la = self.rng.choice(self.las)
        infant = self._school("01", la, "Open", phase="Primary", kind="Infant School")
        junior = self._school("01", la, "Open", phase="Primary", kind="Junior School")
        merged_on = self._past_date(1500, after=dt.date(2012, 9, 1))
        place = infant.name.split(" Infant")[0]
        primary = replace(
            self._school("34", la, "Open", phase="Primary"),
            name=f"{place} Primary Academy",
            opened_on=merged_on,
        )
        self.reasons[primary.urn] = ("Result of Amalgamation/Merger", "Not applicable")
        for part in (infant, junior):
            closed = replace(part, status="Closed", closed_on=merged_on - dt.timedelta(days=1))
            self.schools[part.urn] = closed
            self.reasons[part.urn] = ("Not applicable", "Result of Amalgamation/Merger")
            self._link_pair(closed, primary, merged_on, "amalgamated")
        self.schools[primary.urn] = primary

    def convert(self, school: School, close_on: dt.date, sponsor_led: bool = False) -> School:
        """Close `school` and open its academy successor the next day under a new URN."""
        opened_on = close_on + dt.timedelta(days=1)
        code = "28" if sponsor_led else "34"
        la = next((la for la in self.las if la[0] == school.la_code), self.las[0])
        academy = replace(
            self._school(code, la, "Open", phase=school.phase),
            name=academy_name(school.name, self.rng),
            opened_on=opened_on,
            statutory_low_age=school.statutory_low_age,
            statutory_high_age=school.statutory_high_age,
            official_sixth_form=school.official_sixth_form,
        )
        reason = "Academy Sponsor Led" if sponsor_led else "Academy Converter"
        self.reasons[academy.urn] = (reason, "Not applicable")
        opened_reason = self.reasons.get(school.urn, ("Not applicable", ""))[0]
        self.reasons[school.urn] = (opened_reason, "Academy Transfer" if sponsor_led else "Academy Converter")
        self.schools[school.urn] = replace(school, status="Closed", closed_on=close_on)
        self.schools[academy.urn] = academy
        self._link_pair(school, academy, opened_on, None)
        return academy

    def close(self, school: School, on: dt.date) -> None:
        self.schools[school.urn] = replace(school, status="Closed", closed_on=on)
        self.reasons[school.urn] = (self.reasons.get(school.urn, ("Not applicable", ""))[0], "Closure")

    def rename(self, school: School) -> None:
        self.schools[school.urn] = replace(school, name=f"{school.name.removesuffix(' School')} Academy")

    def other_links(self, count: int) -> None:
        """Sixth-form centre links: kept by the register, but neither predecessor nor successor."""
        open_schools = [s for s in self.schools.values() if s.is_open and s.phase == "Secondary"]
        for _ in range(min(count, len(open_schools) // 2)):
            a, b = self.rng.sample(open_schools, 2)
            self.links.append(SchoolLink(a.urn, b.urn, "Sixth Form Centre Link", b.name, None))
            self.links.append(SchoolLink(b.urn, a.urn, "Sixth Form Centre Link", a.name, None))

    def _link_pair(self, before: School, after: School, on: dt.date, how: str | None) -> None:
        suffix = f" - {how}" if how else ""
        self.links.append(SchoolLink(before.urn, after.urn, f"Successor{suffix}", after.name, on))
        self.links.append(SchoolLink(after.urn, before.urn, f"Predecessor{suffix}", before.name, on))

    def _school(
        self,
        code: str,
        la: tuple[str, str, str, str],
        status: str,
        phase: str | None = None,
        kind: str | None = None,
    ) -> School:
        rng = self.rng
        urn = str(self.next_urn)
        self.next_urn += rng.choice((1, 1, 1, 2, 3))
        phase = phase or phase_for(code, rng)
        low, high = ages(code, phase, rng)
        types = types_by_code()
        name = school_name(code, phase, rng, kind)
        opened_on = (
            None if rng.random() < 0.6 else dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        )
        return School(
            urn=urn,
            name=name,
            la_code=la[0],
            la_name=la[1],
            establishment_number=None if code in ("29", "49") else self._number(la[0], code, phase),
            type_name=types[code][0],
            type_group=types[code][1],
            status=status,
            phase=phase,
            statutory_low_age=low,
            statutory_high_age=high,
            opened_on=opened_on,
            closed_on=None,
            ukprn=None if rng.random() < 0.15 else str(10_000_000 + rng.randrange(90_000_000)),
            official_sixth_form=high == 18,  # as csv_format writes OfficialSixthForm
        )

    def _number(self, la_code: str, code: str, phase: str) -> str:
        if code in SPECIAL:
            block = 7000
        elif code in AP:
            block = 1100
        elif code in ("10", "11"):
            block = 6000
        elif code in POST16:
            block = 8000
        elif phase == "Nursery":
            block = 1000
        elif phase in ("Secondary", "Middle deemed secondary", "All-through"):
            block = 4000 if code in MAINTAINED else 5000
        else:
            block = 2000 if code in MAINTAINED else 3000
        key = (la_code, block)
        serial = self.numbers.get(key, 0)
        self.numbers[key] = serial + 1
        return f"{block + serial % 1000:04d}"

    def _past_date(self, within_days: int, after: dt.date | None = None) -> dt.date:
        earliest = max(after or dt.date(2000, 1, 1), self.date - dt.timedelta(days=within_days))
        span = max(1, (self.date - earliest).days - 1)
        return earliest + dt.timedelta(days=self.rng.randint(1, span))

    def _before(self, date: dt.date) -> dt.date | None:
        if self.rng.random() < 0.5:
            return None
        return date - dt.timedelta(days=self.rng.randint(365, 365 * 40))
