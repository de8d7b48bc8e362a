"""The published format: the establishment file's 135 columns in order (extracts since July
2024), a school's row with GIAS's codes and plausible values in the columns the register does not
read, and GIAS's quoting (numbers bare, everything else quoted) with CRLF line ends."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence

from services.schools.model import School, establishment_types
from tools.gias_fixture.vocabulary import LOCAL_AUTHORITIES

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
    {
        "URN",
        "StatutoryLowAge",
        "StatutoryHighAge",
        "SchoolCapacity",
        "UKPRN",
        "Easting",
        "Northing",
        "SENStat",
        "SENNoStat",
        "LinkURN",
    }
)
ENCODING = "cp1252"

_STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3", "Proposed to open": "4"}
_PHASES = {
    "Not applicable": "0",
    "Nursery": "1",
    "Primary": "2",
    "Middle deemed primary": "3",
    "Secondary": "4",
    "Middle deemed secondary": "5",
    "16 plus": "6",
    "All-through": "7",
}
_OPENED = {
    "Not applicable": "00",
    "New Provision": "03",
    "Academy Converter": "10",
    "Academy Free School": "11",
    "Result of Amalgamation/Merger": "05",
    "Academy Sponsor Led": "08",
}
_CLOSED = {
    "Not applicable": "00",
    "Closure": "01",
    "Academy Converter": "10",
    "Result of Amalgamation/Merger": "05",
    "Academy Transfer": "13",
}
_FIRST = ("Alex", "Sam", "Jo", "Chris", "Pat", "Nicola", "Amélie", "Siân", "Zoë", "Owen", "Priya", "Tomás")
_LAST = (
    "Smith", "O'Brien", "Patel", "Jones", "Nuñez", "Brontë", "McAllister", "D\u2019Souza", "Evans", "Khan",
)  # fmt: skip


def establishment_row(school: School, seed: int, opened_reason: str, closed_reason: str) -> list[str]:
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


def csv_line(columns: Sequence[str], values: Iterable[str]) -> str:
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
