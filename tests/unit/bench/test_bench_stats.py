import pytest

from tools.bench.stats import percentile, rate, ratio


def test_percentile_interpolates_between_closest_ranks() -> None:
    samples = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert percentile(samples, 0) == 15.0
    assert percentile(samples, 100) == 50.0
    assert percentile(samples, 50) == 35.0
    assert percentile(samples, 40) == pytest.approx(29.0)  # rank 1.6: 20 + 0.6 * 15
    assert percentile(samples, 99) == pytest.approx(49.6)  # rank 3.96: 40 + 0.96 * 10


def test_percentile_ignores_input_order_and_takes_one_sample() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0


def test_p99_of_a_hundred_samples_is_near_the_top() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(samples, 99) == pytest.approx(99.01)
    assert percentile(samples, 50) == pytest.approx(50.5)


@pytest.mark.parametrize("p", [-1, 100.5])
def test_percentile_refuses_nonsense(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], p)
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_rate_and_ratio() -> None:
    assert rate(20_000, 2.0) == 10_000
    with pytest.raises(ValueError):
        rate(1, 0)
    assert ratio(10_000, 40_000) == 0.25
    assert ratio(None, 1.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None
