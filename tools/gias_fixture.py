"""Synthetic Get Information About Schools files in the published format, for tests, the simulator
and the benchmarks: deterministic by seed.

The establishment file has the full header of the published `edubasealldataYYYYMMDD.csv` (the 135
columns, in order, of the extracts published since July 2024), every field quoted except the
numeric ones (as GIAS writes them), CRLF line ends, Windows-1252 text with apostrophes (straight
and curly), accented letters and dashes. It holds open and closed schools of every common type,
academy conversions (the maintained school closed, the academy opened under a new URN the next
day), re-brokered academies (chains of successors) and amalgamations, with the matching rows in the
links file (`links_edubasealldataYYYYMMDD.csv`: URN, LinkURN, LinkName, LinkType,
LinkEstablishedDate). Columns the register does not read hold plausible, not authoritative, values.

`next_extract` makes the following month's files (openings, closures, conversions, renames) and
says which URNs a re-import must report as added, changed and closed.

    python -m tools.gias_fixture OUTDIR --schools 50000 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from services.schools.model import School, SchoolLink, establishment_types

# The published column order (edubasealldata, July 2024 onwards).
COLUMNS: tuple[str, ...] = (
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
    "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)", "Gender (name)",
    "ReligiousCharacter (code)", "ReligiousCharacter (name)", "ReligiousEthos (name)",
    "Diocese (code)", "Diocese (name)", "AdmissionsPolicy (code)", "AdmissionsPolicy (name)",
    "SchoolCapacity", "SpecialClasses (code)", "SpecialClasses (name)", "CensusDate",
    "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)", "Trusts (name)",
    "SchoolSponsorFlag (name)", "SchoolSponsors (name)", "FederationFlag (name)",
    "Federations (code)", "Federations (name)", "UKPRN", "FEHEIdentifier",
    "FurtherEducationType (name)", "LastChangedDate", "Street", "Locality", "Address3", "Town",
    "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum", "HeadTitle (name)",
    "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle", "BSOInspectorateName (name)",
    "InspectorateReport", "DateOfLastInspectionVisit", "NextInspectionVisit", "TeenMoth (name)",
    "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)", "PlacesPRU", "FTProv (name)",
    "EdByOther (name)", "Section41Approved (name)",
    "SEN1 (name)", "SEN2 (name)", "SEN3 (name)", "SEN4 (name)", "SEN5 (name)", "SEN6 (name)",
    "SEN7 (name)", "SEN8 (name)", "SEN9 (name)", "SEN10 (name)", "SEN11 (name)", "SEN12 (name)",
    "SEN13 (name)", "TypeOfResourcedProvision (name)", "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity", "SenUnitOnRoll", "SenUnitCapacity", "GOR (code)", "GOR (name)",
    "DistrictAdministrative (code)", "DistrictAdministrative (name)",
    "AdministrativeWard (code)", "AdministrativeWard (name)",
    "ParliamentaryConstituency (code)", "ParliamentaryConstituency (name)",
    "UrbanRural (code)", "UrbanRural (name)", "GSSLACode (name)", "Easting", "Northing",
    "MSOA (name)", "LSOA (name)", "InspectorateName (name)", "SENStat", "SENNoStat",
    "BoardingEstablishment (name)", "PropsName", "PreviousLA (code)", "PreviousLA (name)",
    "PreviousEstablishmentNumber", "Country (name)", "UPRN", "SiteName", "QABName (code)",
    "QABName (name)", "EstablishmentAccredited (code)", "EstablishmentAccredited (name)",
    "QABReport", "CHNumber", "MSOA (code)", "LSOA (code)", "FSM", "AccreditationExpiryDate",
)  # fmt: skip
LINK_COLUMNS: tuple[str, ...] = ("URN", "LinkURN", "LinkName", "LinkType", "LinkEstablishedDate")
# GIAS writes these without quotes (numbers); every other field is quoted, empty ones as "".
_UNQUOTED = frozenset(
    {"URN", "StatutoryLowAge", "StatutoryHighAge", "SchoolCapacity", "UKPRN", "Easting", "Northing",
     "SENStat", "SENNoStat", "LinkURN"}
)  # fmt: skip
ENCODING = "cp1252"

# (code, name, GOR code, GOR name): a sample of English LAs across the regions.
LOCAL_AUTHORITIES: tuple[tuple[str, str, str, str], ...] = (
    ("201", "City of London", "H", "London"), ("202", "Camden", "H", "London"),
    ("203", "Greenwich", "H", "London"), ("204", "Hackney", "H", "London"),
    ("205", "Hammersmith and Fulham", "H", "London"), ("206", "Islington", "H", "London"),
    ("207", "Kensington and Chelsea", "H", "London"), ("208", "Lambeth", "H", "London"),
    ("209", "Lewisham", "H", "London"), ("210", "Southwark", "H", "London"),
    ("211", "Tower Hamlets", "H", "London"), ("212", "Wandsworth", "H", "London"),
    ("213", "Westminster", "H", "London"), ("302", "Barnet", "H", "London"),
    ("304", "Brent", "H", "London"), ("306", "Croydon", "H", "London"),
    ("307", "Ealing", "H", "London"), ("316", "Newham", "H", "London"),
    ("330", "Birmingham", "F", "West Midlands"), ("331", "Coventry", "F", "West Midlands"),
    ("336", "Wolverhampton", "F", "West Midlands"), ("341", "Liverpool", "B", "North West"),
    ("342", "St. Helens", "B", "North West"), ("352", "Manchester", "B", "North West"),
    ("355", "Salford", "B", "North West"), ("888", "Lancashire", "B", "North West"),
    ("380", "Bradford", "D", "Yorkshire and the Humber"), ("383", "Leeds", "D", "Yorkshire and the Humber"),
    ("391", "Newcastle upon Tyne", "A", "North East"), ("394", "Sunderland", "A", "North East"),
    ("801", "Bristol, City of", "K", "South West"), ("878", "Devon", "K", "South West"),
    ("908", "Cornwall", "K", "South West"), ("855", "Leicestershire", "E", "East Midlands"),
    ("856", "Leicester", "E", "East Midlands"), ("891", "Nottinghamshire", "E", "East Midlands"),
    ("886", "Kent", "J", "South East"), ("936", "Surrey", "J", "South East"),
    ("850", "Hampshire", "J", "South East"), ("881", "Essex", "G", "East of England"),
    ("919", "Hertfordshire", "G", "East of England"), ("926", "Norfolk", "G", "East of England"),
)  # fmt: skip

# Type code -> weight among plain (unlinked) rows, roughly as in the national file.
_TYPE_WEIGHTS: dict[str, float] = {
    "01": 18, "02": 8, "03": 5, "05": 2.5, "34": 16, "28": 4, "35": 1.5, "11": 6, "10": 2,
    "07": 2, "12": 0.3, "08": 0.3, "44": 0.7, "33": 0.3, "36": 0.3, "14": 0.8, "42": 0.2,
    "43": 0.3, "38": 0.1, "15": 0.8, "18": 1.5, "31": 0.3, "45": 0.2, "39": 0.2, "40": 0.1,
    "41": 0.1, "29": 0.2, "27": 0.2, "24": 0.05, "49": 0.05, "56": 0.05,
}  # fmt: skip
_MAINSTREAM = frozenset({"01", "02", "03", "05", "28", "34", "35"})
_MAINTAINED = ("01", "02", "03", "05")
_SPECIAL = frozenset({"07", "08", "10", "12", "33", "36", "44"})
_AP = frozenset({"14", "38", "42", "43"})
_POST16 = frozenset({"18", "31", "39", "45", "29"})
_STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3", "Proposed to open": "4"}
_PHASES = {
    "Not applicable": "0", "Nursery": "1", "Primary": "2", "Middle deemed primary": "3",
    "Secondary": "4", "Middle deemed secondary": "5", "16 plus": "6", "All-through": "7",
}  # fmt: skip
_OPENED = {
    "Not applicable": "00", "New Provision": "03", "Academy Converter": "10", "Academy Free School": "11",
    "Result of Amalgamation/Merger": "05", "Academy Sponsor Led": "08",
}  # fmt: skip
_CLOSED = {
    "Not applicable": "00", "Closure": "01", "Academy Converter": "10",
    "Result of Amalgamation/Merger": "05", "Academy Transfer": "13",
}  # fmt: skip

_PLACE_HEADS = (
    "Ash", "Beech", "Brook", "Cherry", "Elm", "Fair", "Green", "Hazel", "Holly", "Kings", "Lark",
    "Mill", "Oak", "Rose", "Thorn", "Willow", "West", "North", "South", "East", "High", "Long",
    "Church", "Market", "Stan", "Wood", "Bar", "Nor", "Wal", "Chad", "Bishop's ", "Abbot's ",
)  # fmt: skip
_PLACE_TAILS = (
    "ford", "field", "wood", "ley", "ton", "bury", "well", "gate", "mead", "hurst", "borough",
    "dale", "wick", "combe", "stead", "worth", "holme", "by", "ham", "den",
)  # fmt: skip
_SITES = ("", "", "", " Park", " Hill", " Green", " Vale", " Meadow", " Fields", " Grange", " Lane", " Road")
_FAITH = (
    "St Mary's Church of England", "St Joseph's Catholic", "Our Lady's Catholic", "St John\u2019s C of E",
    "Holy Trinity CofE", "St Thérèse of Lisieux Catholic", "Christ Church", "St Peter and St Paul",
    "St Bede's Catholic", "St Anne\u2019s Church of England", "Sacred Heart Catholic", "St Chad's",
)  # fmt: skip
_INDEPENDENT = (
    "École Française de {place}", "Lycée {place}", "{place} Preparatory School",
    "{place} Montessori \u2013 Day School", "The {place} School", "Zoë's House School, {place}",
    "{place} Ladies' College", "Académie {place}",
)  # fmt: skip
_FIRST = ("Alex", "Sam", "Jo", "Chris", "Pat", "Nicola", "Amélie", "Siân", "Zoë", "Owen", "Priya", "Tomás")
_LAST = (
    "Smith", "O'Brien", "Patel", "Jones", "Nuñez", "Brontë", "McAllister", "D\u2019Souza", "Evans", "Khan",
)  # fmt: skip


@dataclass(frozen=True)
class GiasExtract:
    """One published pair of files: establishments and links, as of `extract_date`."""

    extract_date: dt.date
    seed: int
    schools: tuple[School, ...]
    links: tuple[SchoolLink, ...]
    # URN -> (reason opened, reason closed), by GIAS name.
    reasons: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def establishments_name(self) -> str:
        return f"edubasealldata{self.extract_date:%Y%m%d}.csv"

    @property
    def links_name(self) -> str:
        return f"links_edubasealldata{self.extract_date:%Y%m%d}.csv"

    def write(self, directory: Path | str) -> tuple[Path, Path]:
        """Write both files under their published names; return (establishments, links)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        schools_path = directory / self.establishments_name
        links_path = directory / self.links_name
        self.write_establishments(schools_path)
        self.write_links(links_path)
        return schools_path, links_path

    def write_establishments(self, path: Path | str) -> Path:
        with open(path, "w", encoding=ENCODING, newline="") as out:
            out.write(_line(COLUMNS, COLUMNS))
            for school in self.schools:
                opened, closed = self.reasons.get(school.urn, ("Not applicable", "Not applicable"))
                out.write(_line(COLUMNS, _establishment_row(school, self.seed, opened, closed)))
        return Path(path)

    def write_links(self, path: Path | str) -> Path:
        with open(path, "w", encoding=ENCODING, newline="") as out:
            out.write(_line(LINK_COLUMNS, LINK_COLUMNS))
            for link in self.links:
                date = f"{link.established_on:%d-%m-%Y}" if link.established_on else ""
                out.write(
                    _line(LINK_COLUMNS, (link.urn, link.link_urn, link.link_name, link.link_type, date))
                )
        return Path(path)

    def school(self, urn: str) -> School:
        for school in self.schools:
            if school.urn == urn:
                return school
        raise KeyError(urn)


@dataclass(frozen=True)
class ExtractChanges:
    """What a re-import of the next extract must report, against the extract before it."""

    added: frozenset[str]
    changed: frozenset[str]
    closed: frozenset[str]


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
    las = _local_authorities(la_codes)
    builder = _Builder(random.Random(seed), las, extract_date)
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
    builder = _Builder(rng, tuple(dict.fromkeys(present)), date)
    builder.adopt(previous)

    candidates = [s for s in previous.schools if s.is_open and not s.is_alternative_provision]
    rng.shuffle(candidates)
    added: set[str] = set()
    changed: set[str] = set()
    closed: set[str] = set()
    maintained = [s for s in candidates if _type_code(s.type_name) in _MAINTAINED]
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


class _Builder:
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
        code = type_code or rng.choices(list(_TYPE_WEIGHTS), weights=list(_TYPE_WEIGHTS.values()))[0]
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
        maintained = self._school(self.rng.choice(_MAINTAINED), self.rng.choice(self.las), "Open")
        self.schools[maintained.urn] = maintained
        self.convert(maintained, close_on=self._past_date(800, after=dt.date(2010, 8, 1)))

    def rebrokered_chain(self) -> None:
        maintained = self._school(self.rng.choice(_MAINTAINED), self.rng.choice(self.las), "Open")
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
            name=_academy_name(school.name, self.rng),
            opened_on=opened_on,
            statutory_low_age=school.statutory_low_age,
            statutory_high_age=school.statutory_high_age,
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
        phase = phase or _phase_for(code, rng)
        low, high = _ages(code, phase, rng)
        types = _types_by_code()
        name = _school_name(code, phase, rng, kind)
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
        )

    def _number(self, la_code: str, code: str, phase: str) -> str:
        if code in _SPECIAL:
            block = 7000
        elif code in _AP:
            block = 1100
        elif code in ("10", "11"):
            block = 6000
        elif code in _POST16:
            block = 8000
        elif phase == "Nursery":
            block = 1000
        elif phase in ("Secondary", "Middle deemed secondary", "All-through"):
            block = 4000 if code in _MAINTAINED else 5000
        else:
            block = 2000 if code in _MAINTAINED else 3000
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


def _local_authorities(codes: Sequence[str] | None) -> tuple[tuple[str, str, str, str], ...]:
    if not codes:
        return LOCAL_AUTHORITIES
    known = {la[0]: la for la in LOCAL_AUTHORITIES}
    return tuple(known.get(code, (code, f"Local authority {code}", "", "")) for code in codes)


def _types_by_code() -> dict[str, tuple[str, str, str]]:
    return {t.code: (t.name, t.group, t.group_code) for t in establishment_types().values()}


def _type_code(type_name: str) -> str:
    known = establishment_types().get(type_name.lower())
    return known.code if known else ""


def _phase_for(code: str, rng: random.Random) -> str:
    if code in _MAINSTREAM:
        return rng.choices(
            ("Primary", "Secondary", "All-through", "Middle deemed primary", "Middle deemed secondary"),
            weights=(76, 20, 2, 1, 1),
        )[0]
    if code == "15":
        return "Nursery"
    if code in _POST16:
        return "16 plus"
    if code in ("40", "41"):
        return "Secondary"
    return "Not applicable"


def _ages(code: str, phase: str, rng: random.Random) -> tuple[int | None, int | None]:
    if code in ("29", "49", "56", "27"):
        return None, None
    if code in _SPECIAL:
        return rng.choice((2, 3, 4, 5, 7, 11)), rng.choice((11, 16, 19))
    if code in _AP:
        return rng.choice((5, 11, 14)), 16
    return {
        "Nursery": (2, 5),
        "Primary": (rng.choice((3, 4, 5, 7)), rng.choice((7, 11, 11, 11))),
        "Middle deemed primary": (8, 12),
        "Middle deemed secondary": (9, 13),
        "Secondary": (11, rng.choice((16, 18))),
        "All-through": (rng.choice((3, 4)), 18),
        "16 plus": (16, rng.choice((19, 99))),
    }.get(phase, (rng.choice((3, 4, 7, 11)), 18))


def _place(rng: random.Random) -> str:
    head, tail = rng.choice(_PLACE_HEADS), rng.choice(_PLACE_TAILS)
    return head + (tail.capitalize() if head.endswith(" ") else tail) + rng.choice(_SITES)


def _school_name(code: str, phase: str, rng: random.Random, kind: str | None = None) -> str:
    place = _place(rng)
    if kind:
        return f"{place} {kind}"
    if code in ("10", "11"):
        return rng.choice(_INDEPENDENT).format(place=place)
    if code in ("02", "03") and rng.random() < 0.8:
        noun = "Primary School" if phase in ("Primary", "Middle deemed primary") else "High School"
        return f"{rng.choice(_FAITH)} {noun}"
    if code in _AP:
        return rng.choice((f"{place} Pupil Referral Unit", f"{place} Learning Centre", f"{place} AP Academy"))
    if code in _SPECIAL:
        return rng.choice((f"{place} School", f"{place} Special School", f"{place} Academy"))
    if code in _POST16:
        return rng.choice((f"{place} College", f"{place} Sixth Form College"))
    academy = code in ("28", "34", "35")
    nouns = {
        "Nursery": ("Nursery School",),
        "Primary": ("Primary Academy",) if academy else ("Primary School", "Infant School", "Junior School"),
        "Secondary": ("Academy", "High School")
        if academy
        else ("High School", "School", "Community College"),
        "All-through": ("All-Through School", "Academy"),
    }.get(phase, ("School",))
    return f"{place} {rng.choice(nouns)}"


def _academy_name(name: str, rng: random.Random) -> str:
    stem = name.removesuffix(" School").removesuffix(" Primary").removesuffix(" High")
    return f"{stem} {rng.choice(('Academy', 'Primary Academy' if 'Primary' in name else 'Academy'))}"


def _establishment_row(school: School, seed: int, opened_reason: str, closed_reason: str) -> list[str]:
    """All 135 fields of one school; the unread ones are derived from (seed, URN) only, so a school
    that did not change is written identically in every extract."""
    rng = random.Random(f"{seed}:{school.urn}")
    known = establishment_types().get(school.type_name.lower())
    type_code, group_code = (known.code, known.group_code) if known else ("", "")
    la = next((la for la in LOCAL_AUTHORITIES if la[0] == school.la_code), None)
    gor_code, gor_name = (la[2], la[3]) if la else ("", "")
    town = school.name.split(" ")[0].rstrip("'s")
    academy = school.type_group in ("Academies", "Free Schools")
    capacity = rng.randrange(60, 1800)
    pupils = int(capacity * rng.uniform(0.6, 1.05))
    boys = pupils // 2 + rng.randrange(-20, 21) if pupils > 40 else pupils // 2
    faith = (
        "Church of England"
        if "C of E" in school.name or "Church" in school.name
        else ("Roman Catholic" if "Catholic" in school.name else "None")
    )
    trust_code = str(1_000 + rng.randrange(20_000)) if academy else ""
    slug = "".join(ch for ch in school.name.lower() if ch.isascii() and ch.isalnum())[:30]
    postcode = (
        f"{rng.choice('BCDEHLMNOPSTWY')}{rng.choice('ABLNRS')}{rng.randint(1, 29)} "
        f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    )
    values: dict[str, str] = {
        "URN": school.urn,
        "LA (code)": school.la_code,
        "LA (name)": school.la_name,
        "EstablishmentNumber": school.establishment_number or "",
        "EstablishmentName": school.name,
        "TypeOfEstablishment (code)": type_code,
        "TypeOfEstablishment (name)": school.type_name,
        "EstablishmentTypeGroup (code)": group_code,
        "EstablishmentTypeGroup (name)": school.type_group,
        "EstablishmentStatus (code)": _STATUS_CODES.get(school.status, ""),
        "EstablishmentStatus (name)": school.status,
        "ReasonEstablishmentOpened (code)": _OPENED.get(opened_reason, "99"),
        "ReasonEstablishmentOpened (name)": opened_reason,
        "OpenDate": _date(school.opened_on),
        "ReasonEstablishmentClosed (code)": _CLOSED.get(closed_reason, "99"),
        "ReasonEstablishmentClosed (name)": closed_reason,
        "CloseDate": _date(school.closed_on),
        "PhaseOfEducation (code)": _PHASES.get(school.phase, ""),
        "PhaseOfEducation (name)": school.phase,
        "StatutoryLowAge": _int(school.statutory_low_age),
        "StatutoryHighAge": _int(school.statutory_high_age),
        "Boarders (code)": "1",
        "Boarders (name)": "No boarders",
        "NurseryProvision (name)": rng.choice(("No Nursery Classes", "Has Nursery Classes")),
        "OfficialSixthForm (code)": "1" if school.statutory_high_age == 18 else "2",
        "OfficialSixthForm (name)": "Has a sixth form"
        if school.statutory_high_age == 18
        else "Does not have a sixth form",
        "Gender (code)": "3",
        "Gender (name)": "Mixed",
        "ReligiousCharacter (code)": {"None": "00", "Church of England": "02", "Roman Catholic": "03"}[faith],
        "ReligiousCharacter (name)": faith,
        "ReligiousEthos (name)": "Does not apply" if faith == "None" else faith,
        "Diocese (code)": "0000" if faith == "None" else f"CE{rng.randint(10, 99)}",
        "Diocese (name)": "Not applicable" if faith == "None" else f"Diocese of {town}",
        "AdmissionsPolicy (code)": "0",
        "AdmissionsPolicy (name)": "Not applicable",
        "SchoolCapacity": str(capacity),
        "SpecialClasses (code)": "2",
        "SpecialClasses (name)": "No Special Classes",
        "CensusDate": "16-01-2025",
        "NumberOfPupils": str(pupils),
        "NumberOfBoys": str(boys),
        "NumberOfGirls": str(pupils - boys),
        "PercentageFSM": f"{rng.uniform(2, 60):.1f}",
        "TrustSchoolFlag (code)": "5" if academy else "0",
        "TrustSchoolFlag (name)": "Supported by a multi-academy trust" if academy else "Not applicable",
        "Trusts (code)": trust_code,
        "Trusts (name)": f"The {town} Learning Trust" if academy else "",
        "SchoolSponsorFlag (name)": "Not applicable",
        "SchoolSponsors (name)": "",
        "FederationFlag (name)": "Not under a federation",
        "FurtherEducationType (name)": "Not applicable",
        "UKPRN": school.ukprn or "",
        "LastChangedDate": _date(
            school.closed_on or dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(300))
        ),
        "Street": f"{rng.randint(1, 200)} {town} Road",
        "Locality": rng.choice(("", "", "Upper " + town)),
        "Town": town,
        "Postcode": postcode,
        "SchoolWebsite": f"www.{slug}.sch.uk",
        "TelephoneNum": f"0{rng.randrange(1_000_000_000, 2_000_000_000)}",
        "HeadTitle (name)": rng.choice(("Mr", "Mrs", "Ms", "Miss", "Dr")),
        "HeadFirstName": rng.choice(_FIRST),
        "HeadLastName": rng.choice(_LAST),
        "HeadPreferredJobTitle": "Headteacher",
        "BSOInspectorateName (name)": "Not applicable",
        "TeenMoth (name)": "Not applicable",
        "CCF (name)": "Not applicable",
        "SENPRU (name)": "Not applicable",
        "EBD (name)": "Not applicable",
        "FTProv (name)": "Not applicable",
        "EdByOther (name)": "Not applicable",
        "Section41Approved (name)": "Not applicable",
        "TypeOfResourcedProvision (name)": "Not applicable",
        "GOR (code)": gor_code,
        "GOR (name)": gor_name,
        "DistrictAdministrative (code)": f"E0{rng.randrange(6000001, 9000099)}",
        "DistrictAdministrative (name)": school.la_name,
        "AdministrativeWard (code)": f"E05{rng.randrange(1_000_000, 9_999_999):07d}",
        "AdministrativeWard (name)": town,
        "ParliamentaryConstituency (code)": f"E14{rng.randrange(1_000_000, 1_999_999):07d}",
        "ParliamentaryConstituency (name)": f"{town} and District",
        "UrbanRural (code)": rng.choice(("A1", "B1", "C1", "D1", "E1")),
        "UrbanRural (name)": "(England/Wales) Urban city and town",
        "GSSLACode (name)": f"E0{rng.randrange(6000001, 9000099)}",
        "Easting": str(rng.randrange(150_000, 650_000)),
        "Northing": str(rng.randrange(20_000, 650_000)),
        "MSOA (name)": f"{school.la_name} {rng.randrange(1, 40):03d}",
        "LSOA (name)": f"{school.la_name} {rng.randrange(1, 40):03d}{rng.choice('ABCDEF')}",
        "PreviousLA (code)": "999",
        "UPRN": str(rng.randrange(10_000_000, 200_000_000_000)),
        "QABName (code)": "0",
        "QABName (name)": "Not applicable",
        "EstablishmentAccredited (code)": "0",
        "EstablishmentAccredited (name)": "Not applicable",
        "MSOA (code)": f"E0{rng.randrange(2_000_001, 2_006_999)}",
        "LSOA (code)": f"E0{rng.randrange(1_000_001, 1_035_999)}",
    }
    return [values.get(column, "") for column in COLUMNS]


def _line(columns: Sequence[str], values: Iterable[str]) -> str:
    fields = []
    for column, value in zip(columns, values, strict=True):
        if column in _UNQUOTED and value.isdigit():
            fields.append(value)
        elif column in _UNQUOTED and not value:
            fields.append("")
        else:
            fields.append('"' + value.replace('"', '""') + '"')
    return ",".join(fields) + "\r\n"


def _date(value: dt.date | None) -> str:
    return f"{value:%d-%m-%Y}" if value else ""


def _int(value: int | None) -> str:
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gias_fixture",
        description="Write a synthetic GIAS establishment extract and its links file (published format).",
    )
    parser.add_argument("directory", type=Path, help="where to write the two files")
    parser.add_argument("--schools", type=int, default=1000, help="rows in the establishment file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--la", action="append", default=[], help="only these LA codes (repeatable)")
    parser.add_argument(
        "--date", type=dt.date.fromisoformat, default=dt.date(2025, 1, 6), help="extract date"
    )
    parser.add_argument(
        "--conversion-share",
        type=float,
        default=0.08,
        help="share of rows in academy conversions, re-brokered chains and amalgamations",
    )
    parser.add_argument(
        "--next", type=int, default=0, metavar="N", help="also write the N following monthly extracts"
    )
    args = parser.parse_args(argv)
    extract = synthetic_extract(
        args.schools,
        args.seed,
        la_codes=args.la or None,
        extract_date=args.date,
        conversion_share=args.conversion_share,
    )
    for step in range(args.next + 1):
        if step:
            extract, _ = next_extract(extract, step_seed=step)
        schools_path, links_path = extract.write(args.directory)
        print(f"{schools_path}\n{links_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
