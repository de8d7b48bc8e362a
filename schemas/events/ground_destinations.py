"""Which destinations each deletion ground allows: Rollwatch's reading of the 2024 reg 9(1) and
9(3) grounds, kept as data so that it can be reviewed line by line (and tested against the code
lists).

A deletion whose `data.destination.kind` is not in its ground's set is refused with
`ground_destination_mismatch`. `unknown` is allowed wherever the law lets a school delete without
knowing where the child went, because the `no_destination` alert must see those deletions rather
than have them refused."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

_SCHOOLS = frozenset({"school", "independent"})
# Any living child out of custody, of compulsory school age or younger.
_ANY_CHILD = frozenset({"school", "independent", "home_education", "moved_away", "abroad", "unknown"})

GROUND_DESTINATIONS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        # (a) registered at another school: the destination is that school, state or independent.
        "other_school": _SCHOOLS,
        # (b) nursery finished, not moving up here: below compulsory school age, so anywhere a
        #     young child can go (including unknown: nursery leavers often are).
        "nursery_finished": _ANY_CHILD,
        # (c) dual registration ended: the pupil stays registered at the other school.
        "dual_registration_ended": _SCHOOLS,
        # (d) school attendance order amended: it now names another school.
        "sao_amended": _SCHOOLS,
        # (e) school attendance order revoked: suitable education otherwise than at school.
        "sao_revoked": frozenset({"home_education"}),
        # (f) parent's written notice of elective home education.
        "home_education": frozenset({"home_education"}),
        # (g) moved beyond reasonable distance: the new school may or may not be known.
        "moved_away": frozenset({"moved_away", "school", "independent", "abroad", "unknown"}),
        # (h) not back 10 school days after leave, and (i) 20 school days' unauthorised absence:
        #     both require enquiries that failed to find the child, so no school is known.
        "leave_not_returned": frozenset({"unknown", "moved_away", "abroad"}),
        "absent_20_days": frozenset({"unknown", "moved_away", "abroad"}),
        # (j) custodial sentence.
        "custody": frozenset({"custody"}),
        # (k) died.
        "died": frozenset({"died"}),
        # (l) end of compulsory school age: post-16 (or a sixth form elsewhere), or not known.
        "end_of_compulsory_age": frozenset(
            {"post16", "school", "independent", "moved_away", "abroad", "unknown"}
        ),
        # (m) boarding fees unpaid: the child leaves for wherever the family chooses.
        "boarding_fees_unpaid": _ANY_CHILD,
        # (n) left an independent or non-maintained special school: anywhere, post-16 included.
        "left_independent_special": _ANY_CHILD | {"post16"},
        # (o) permanently excluded: the LA must provide education (a PRU or AP is a `school`);
        #     parents may also choose home education or move.
        "permanently_excluded": _ANY_CHILD | {"post16"},
        # 9(3): not of compulsory school age and stopped attending: a young child anywhere, or a
        #     sixth former to post-16 education or training elsewhere.
        "not_compulsory_age_left": _ANY_CHILD | {"post16"},
    }
)
