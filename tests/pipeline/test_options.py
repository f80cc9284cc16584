"""The run's window: --run_date (a day, 'today', 'yesterday'), --since and --until."""

import datetime as dt

import pytest

from newsbeam.pipeline.options import run_window


@pytest.mark.parametrize(
    "run_date, since, until, window",
    [
        ("2026-11-20", None, None, ("2026-11-20", "2026-11-20")),
        ("yesterday", None, None, ("2026-12-02", "2026-12-02")),
        ("Today", None, None, ("2026-12-03", "2026-12-03")),
        (None, "2026-11-01", None, ("2026-11-01", None)),
        (None, None, "2026-11-30", (None, "2026-11-30")),
        (None, None, None, (None, None)),
    ],
)
def test_run_window(run_date, since, until, window):
    expected = tuple(dt.date.fromisoformat(d) if d else None for d in window)
    assert run_window(run_date, since, until, dt.date(2026, 12, 3)) == expected


@pytest.mark.parametrize(
    "run_date, since, until, message",
    [
        ("2026-11-20", "2026-11-01", None, "not both"),
        ("last week", None, None, "Invalid isoformat"),
        (None, "2026-11-20", "2026-11-19", "after --until"),
    ],
)
def test_a_bad_window_is_refused(run_date, since, until, message):
    with pytest.raises(ValueError, match=message):
        run_window(run_date, since, until, dt.date(2026, 12, 3))
