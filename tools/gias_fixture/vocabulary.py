"""What the synthetic schools are made of: a sample of English LAs, the establishment types and
their weights, phases and age ranges by type, and school names."""

from __future__ import annotations

import random
from collections.abc import Sequence

from services.schools.model import establishment_types

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
TYPE_WEIGHTS: dict[str, float] = {
    "01": 18, "02": 8, "03": 5, "05": 2.5, "34": 16, "28": 4, "35": 1.5, "11": 6, "10": 2,
    "07": 2, "12": 0.3, "08": 0.3, "44": 0.7, "33": 0.3, "36": 0.3, "14": 0.8, "42": 0.2,
    "43": 0.3, "38": 0.1, "15": 0.8, "18": 1.5, "31": 0.3, "45": 0.2, "39": 0.2, "40": 0.1,
    "41": 0.1, "29": 0.2, "27": 0.2, "24": 0.05, "49": 0.05, "56": 0.05,
}  # fmt: skip
_MAINSTREAM = frozenset({"01", "02", "03", "05", "28", "34", "35"})
MAINTAINED = ("01", "02", "03", "05")
SPECIAL = frozenset({"07", "08", "10", "12", "33", "36", "44"})
AP = frozenset({"14", "38", "42", "43"})
POST16 = frozenset({"18", "31", "39", "45", "29"})
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


def select_las(codes: Sequence[str] | None) -> tuple[tuple[str, str, str, str], ...]:
    if not codes:
        return LOCAL_AUTHORITIES
    known = {la[0]: la for la in LOCAL_AUTHORITIES}
    return tuple(known.get(code, (code, f"Local authority {code}", "", "")) for code in codes)


def types_by_code() -> dict[str, tuple[str, str, str]]:
    return {t.code: (t.name, t.group, t.group_code) for t in establishment_types().values()}


def type_code_of(type_name: str) -> str:
    known = establishment_types().get(type_name.lower())
    return known.code if known else ""


def phase_for(code: str, rng: random.Random) -> str:
    if code in _MAINSTREAM:
        return rng.choices(
            ("Primary", "Secondary", "All-through", "Middle deemed primary", "Middle deemed secondary"),
            weights=(76, 20, 2, 1, 1),
        )[0]
    if code == "15":
        return "Nursery"
    if code in POST16:
        return "16 plus"
    if code in ("40", "41"):
        return "Secondary"
    return "Not applicable"


def ages(code: str, phase: str, rng: random.Random) -> tuple[int | None, int | None]:
    if code in ("29", "49", "56", "27"):
        return None, None
    if code in SPECIAL:
        return rng.choice((2, 3, 4, 5, 7, 11)), rng.choice((11, 16, 19))
    if code in AP:
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


def school_name(code: str, phase: str, rng: random.Random, kind: str | None = None) -> str:
    place = _place(rng)
    if kind:
        return f"{place} {kind}"
    if code in ("10", "11"):
        return rng.choice(_INDEPENDENT).format(place=place)
    if code in ("02", "03") and rng.random() < 0.8:
        noun = "Primary School" if phase in ("Primary", "Middle deemed primary") else "High School"
        return f"{rng.choice(_FAITH)} {noun}"
    if code in AP:
        return rng.choice((f"{place} Pupil Referral Unit", f"{place} Learning Centre", f"{place} AP Academy"))
    if code in SPECIAL:
        return rng.choice((f"{place} School", f"{place} Special School", f"{place} Academy"))
    if code in POST16:
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


def academy_name(name: str, rng: random.Random) -> str:
    stem = name.removesuffix(" School").removesuffix(" Primary").removesuffix(" High")
    return f"{stem} {rng.choice(('Academy', 'Primary Academy' if 'Primary' in name else 'Academy'))}"
