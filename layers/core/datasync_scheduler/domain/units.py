"""How an amount of data and a span of time read, in every message, table and status line."""

from __future__ import annotations

_LARGER_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(count: float) -> str:
    """1536 -> "1.5 KiB", 512 -> "512 bytes", 3 * 1024**5 -> "3.0 PiB" (binary units, as DataSync's console)."""
    if count < 1024:
        return f"{round(count):,} bytes"
    size, unit = count / 1024, _LARGER_UNITS[0]
    for larger in _LARGER_UNITS[1:]:
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{size:,.1f} {unit}"


def format_duration(seconds: float) -> str:
    """12 -> "12 s", 250 -> "4 min 10 s", 3725 -> "1 h 2 min": the two largest units, zero parts left out."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")
