"""The CTF reader on the fixtures, and on hostile or broken files."""

from __future__ import annotations

import pytest

from services.ingest.ctf.reader import (
    CtfPupil,
    CtfSchool,
    CtfUnreadable,
    FsmSpell,
    SchoolSpell,
    SenRecord,
    read_ctf,
)
from tests.support.ctf import (
    RECEIVED,
    SENT_TO_INDEPENDENT_OR_ABROAD,
    SENT_TO_SCHOOL,
    SENT_TO_UNKNOWN,
)

HARBOURSIDE = CtfSchool("801", "2000", "100000")


def test_sent_to_unknown_destination() -> None:
    with SENT_TO_UNKNOWN.open("rb") as stream:
        ctf = read_ctf(stream)
    assert ctf.header.ctf_version == "24.0"
    assert ctf.header.created_at == "2025-03-14T15:42:07"
    assert ctf.header.source == HARBOURSIDE
    assert ctf.header.destination == CtfSchool("XXX", "XXXX", None)
    assert ctf.header.destination.code == "XXXXXXX"
    first, second = ctf.pupils
    assert first == CtfPupil(
        index=0,
        upn="X801200016001",
        former_upn="G80120002500A",
        date_of_birth="2015-01-17",
        year_group="5",
        sen=(SenRecord("2022-09-05", None, "K"),),
        fsm=(FsmSpell("2023-01-10", None),),
        in_care="true",
        schools=(SchoolSpell("801", "2000", "100000", "2019-09-04", "2025-03-14"),),
    )
    # No FSMhistory at all is "not said" (None), unlike an empty history.
    assert second.fsm is None
    assert second.in_care is None
    assert second.sen == (SenRecord("2020-01-06", "2023-07-20", "E"),)
    assert second.schools == (SchoolSpell("801", "2000", "100000", "2018-09-05", None),)


def test_sent_to_a_school() -> None:
    ctf = read_ctf(SENT_TO_SCHOOL.read_bytes())
    assert ctf.header.destination == CtfSchool("801", "3002", "100002")
    assert ctf.header.destination.code == "8013002"
    assert [p.upn for p in ctf.pupils] == ["A801200016003", "B801200016004", "D801200016005"]
    assert [p.index for p in ctf.pupils] == [0, 1, 2]
    assert ctf.pupils[0].fsm == (FsmSpell("2020-02-03", "2022-07-22"),)
    assert ctf.pupils[2].date_of_birth is None


def test_sent_to_independent_or_abroad() -> None:
    ctf = read_ctf(SENT_TO_INDEPENDENT_OR_ABROAD.read_bytes())
    assert ctf.header.destination is not None
    assert ctf.header.destination.code == "MMMMMMM"
    [pupil] = ctf.pupils
    assert pupil.sen == (SenRecord("2019-09-04", None, "N"),)


def test_received_keeps_every_school_spell_in_order() -> None:
    ctf = read_ctf(RECEIVED.read_bytes())
    assert ctf.header.destination == CtfSchool("801", "3002", "100002")
    assert ctf.pupils[1].schools == (
        SchoolSpell("801", "3002", "100002", "2022-09-01", "2023-07-21"),
        SchoolSpell("801", "2000", "100000", "2023-09-04", "2025-01-10"),
    )


def test_attendance_lea_and_estab_are_not_school_history() -> None:
    # Every fixture pupil has Attendance/YearData with LEA and Estab: none may become a spell.
    for pupil in read_ctf(SENT_TO_SCHOOL.read_bytes()).pupils:
        assert len(pupil.schools) == 1


def _ctf(pupils: str, header: str = "") -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><CTfile><Header><DateTime>2025-01-01T00:00:00</DateTime>"
        f"<SourceSchool><LEA>801</LEA><Estab>2000</Estab></SourceSchool>{header}</Header>"
        f"<CTFpupilData>{pupils}</CTFpupilData></CTfile>"
    ).encode()


def test_a_header_without_destination_and_containers_inside_basic_details() -> None:
    ctf = read_ctf(
        _ctf(
            "<Pupil><UPN> X801200016001 </UPN><BasicDetails><NCyearActual>R</NCyearActual>"
            "<SENhistory><SEN><SENprovision>E</SENprovision></SEN></SENhistory>"
            "<LookedAfter><InCare>false</InCare></LookedAfter><FSMhistory/></BasicDetails></Pupil>"
        )
    )
    assert ctf.header.destination is None
    [pupil] = ctf.pupils
    assert pupil.upn == "X801200016001"  # surrounding white space dropped
    assert pupil.year_group == "R"
    assert pupil.sen == (SenRecord(None, None, "E"),)
    assert pupil.in_care == "false"
    assert pupil.fsm == ()


def test_enrol_status_and_the_leaving_reasons_of_each_spell() -> None:
    ctf = read_ctf(
        _ctf(
            "<Pupil><UPN>X801200016001</UPN><BasicDetails><EnrolStatus>M</EnrolStatus></BasicDetails>"
            "<SchoolHistory><School><LEA>801</LEA><Estab>2000</Estab><LeavingDate>2025-05-09</LeavingDate>"
            "<LeavingReason>Moving house</LeavingReason><RemovalGrounds>9(1)(g)</RemovalGrounds></School>"
            "</SchoolHistory></Pupil>"
        )
    )
    [pupil] = ctf.pupils
    assert pupil.enrol_status == "M"
    assert pupil.schools == (SchoolSpell("801", "2000", None, None, "2025-05-09", "Moving house", "9(1)(g)"),)


def test_namespaced_files_are_read_by_local_names() -> None:
    xml = _ctf("<Pupil><UPN>X801200016001</UPN></Pupil>").replace(b"<CTfile>", b'<CTfile xmlns="urn:ctf">')
    assert read_ctf(xml).pupils[0].upn == "X801200016001"


def test_empty_elements_are_absent() -> None:
    [pupil] = read_ctf(_ctf("<Pupil><UPN/><DOB>  </DOB></Pupil>")).pupils
    assert pupil.upn is None
    assert pupil.date_of_birth is None


@pytest.mark.parametrize(
    "xml",
    [
        # external entity (XXE)
        b'<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<CTfile><Header><DateTime>&xxe;</DateTime></Header></CTfile>",
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
        b"<CTfile><Header><DateTime>&lol3;</DateTime></Header></CTfile>",
        # any DTD at all, even an empty one
        b"<!DOCTYPE CTfile><CTfile/>",
        # external DTD
        b'<!DOCTYPE CTfile SYSTEM "http://example.invalid/ctf.dtd"><CTfile/>',
    ],
)
def test_dtds_and_entities_are_refused(xml: bytes) -> None:
    with pytest.raises(CtfUnreadable) as refused:
        read_ctf(xml)
    assert refused.value.rule == "xml_forbidden"


@pytest.mark.parametrize(
    ("xml", "rule"),
    [
        (b"<CTfile><Header>", "xml_invalid"),
        (b"not xml at all", "xml_invalid"),
        (b"", "xml_invalid"),
        (b"<CTfile></CTfile><CTfile/>", "xml_invalid"),
        (b"<Other><Pupil/></Other>", "ctf_root"),
    ],
)
def test_broken_files_name_the_rule(xml: bytes, rule: str) -> None:
    with pytest.raises(CtfUnreadable) as refused:
        read_ctf(xml)
    assert refused.value.rule == rule
    assert refused.value.message


def test_malformed_xml_reports_the_position_not_the_content() -> None:
    with pytest.raises(CtfUnreadable) as refused:
        read_ctf(b"<CTfile><Header><Surname>Quillfeather</Header></CTfile>")
    assert "line 1" in refused.value.message
    assert "Quillfeather" not in refused.value.message


def test_too_many_pupils_stops_reading() -> None:
    with pytest.raises(CtfUnreadable) as refused:
        read_ctf(SENT_TO_SCHOOL.read_bytes(), max_pupils=2)
    assert refused.value.rule == "too_many_pupils"
    assert len(read_ctf(SENT_TO_SCHOOL.read_bytes(), max_pupils=3).pupils) == 3
