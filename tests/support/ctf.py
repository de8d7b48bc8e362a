"""The CTF fixtures (tests/fixtures/ctf/) and the personal data they hold, for the CTF import tests.

Every fixture is a fictitious file in the DfE CTF format, with made-up names, addresses, phone
numbers (Ofcom drama ranges) and e-mail addresses (.invalid) so that tests can prove none of them
leave the reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from defusedxml.ElementTree import parse

from services.ingest.publisher import BrokerUnavailable

FIXTURES: Final = Path(__file__).resolve().parent.parent / "fixtures" / "ctf"
SENT_TO_UNKNOWN: Final = FIXTURES / "sent-to-unknown.xml"
SENT_TO_SCHOOL: Final = FIXTURES / "sent-to-school.xml"
SENT_TO_INDEPENDENT_OR_ABROAD: Final = FIXTURES / "sent-to-independent-or-abroad.xml"
RECEIVED: Final = FIXTURES / "received.xml"
ALL: Final = (SENT_TO_UNKNOWN, SENT_TO_SCHOOL, SENT_TO_INDEPENDENT_OR_ABROAD, RECEIVED)

HARBOURSIDE_URN: Final = "100000"  # LAESTAB 8012000: sends every fixture
CASTLEGATE_URN: Final = "100002"  # LAESTAB 8013002: receives sent-to-school.xml and received.xml

# Elements whose text is a pupil's or a contact's name, or part of an address or a contact detail.
_NAMES: Final = {
    "Surname",
    "Forename",
    "PreferredSurname",
    "PreferredForename",
    "FormerSurname",
    "MiddleNames",
}
# Containers whose content is personal, but for the codes and flags listed after them.
_PERSONAL_CONTAINERS: Final = {"Address", "Phones", "Email", "Contacts"}
_CODES: Final = {"Title", "Gender", "Order", "Relationship", "Responsibility", "TelephoneType"}


def personal_strings(path: Path) -> set[str]:
    """Every name, address line, phone number and e-mail address in a fixture.

    Short numbers (house numbers such as '17') are left out: they also occur inside dates."""
    found: set[str] = set()
    root = parse(path, forbid_dtd=True).getroot()
    for pupil in root.iter("Pupil"):
        for elem in pupil.iter():
            if elem.tag in _NAMES and elem.text:
                found.add(elem.text.strip())
        for container in (e for e in pupil.iter() if e.tag in _PERSONAL_CONTAINERS):
            for elem in container.iter():
                if elem.tag in _CODES:
                    continue
                text = (elem.text or "").strip()
                if text:
                    found.add(text)
    return {s for s in found if len(s) >= 4 and not (s.isdigit() and len(s) < 6)}


def dates_of_birth(path: Path) -> set[str]:
    root = parse(path, forbid_dtd=True).getroot()
    return {(e.text or "").strip() for e in root.iter("DOB") if e.text}


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []
        self.fail = False

    async def publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        if self.fail:
            raise BrokerUnavailable("broker down")
        self.sent.extend(messages)


@dataclass
class Keys:
    harbourside: str
    castlegate: str

    @staticmethod
    def header(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}
