"""The soak's lag per window of capture time tells a lag that grows with the hours from one spike."""

from bench.soak import p95_lag_by_window


def test_each_window_has_the_p95_of_the_frames_captured_in_it() -> None:
    first_ten_minutes = [(1000.0 + i, 0.5) for i in range(18)] + [(1100.0, 4.0), (1200.0, 4.0)]
    second_ten_minutes = [(1600.0 + i, 2.0) for i in range(20)]
    third_ten_minutes = [(2800.0, 1.0)]
    lags = second_ten_minutes + third_ten_minutes + first_ten_minutes  # in no particular order
    assert p95_lag_by_window(lags, 600.0) == [4.0, 2.0, None, 1.0]


def test_no_frames_no_windows() -> None:
    assert p95_lag_by_window([], 600.0) == []
