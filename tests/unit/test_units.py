"""Every message, table and status line says an amount of data and a span of time the same way."""

import pytest

from datasync_scheduler.domain.units import format_bytes, format_duration

GIB = 1024**3


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (512, "512 bytes"),
        (1023, "1,023 bytes"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (50 * GIB, "50.0 GiB"),
        (3 << 40, "3.0 TiB"),
        (3 * 1024**5, "3.0 PiB"),
        (5000 * 1024**5, "5,000.0 PiB"),  # the largest unit grows, none is made up
        (214748364.8, "204.8 MiB"),  # a rate per second need not be whole
    ],
)
def test_sizes_read_in_binary_units(count: float, text: str) -> None:
    assert format_bytes(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0 s"),
        (5, "5 s"),
        (59.6, "1 min"),
        (60, "1 min"),
        (250, "4 min 10 s"),
        (1830, "30 min 30 s"),
        (3600, "1 h"),
        (3725, "1 h 2 min"),  # past an hour the seconds no longer matter
        (30600, "8 h 30 min"),
        (30 * 3600, "30 h"),
    ],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
