import pytest

from tools.bench.pending import NotYetAvailable
from tools.bench.runner import FIGURES, select


def test_every_figure_by_default_in_registry_order() -> None:
    assert [f.name for f in select(None)] == [f.name for f in FIGURES]
    assert [f.name for f in select([])] == [f.name for f in FIGURES]


def test_only_the_named_figures_and_unknown_names_refused() -> None:
    assert [f.name for f in select(["memory", "tracker_throughput"])] == ["tracker_throughput", "memory"]
    with pytest.raises(ValueError, match="no figure named nope"):
        select(["nope"])


def test_figure_names_are_distinct_and_every_figure_is_measured() -> None:
    names = [f.name for f in FIGURES]
    assert len(names) == len(set(names))
    assert {"alert_latency_p99", "alert_precision_recall"} <= set(names)
    assert not [f for f in FIGURES if isinstance(f, NotYetAvailable)]


def test_a_pending_figure_reports_not_available_never_a_number() -> None:
    result = NotYetAvailable("x", "X", "not built").result()
    assert result.status == "not_available" and result.value is None and result.passed is None


def test_the_help_lists_every_figure() -> None:
    from tools.bench.cli import FIGURE_NAMES

    assert FIGURE_NAMES.split(", ") == [f.name for f in FIGURES]
