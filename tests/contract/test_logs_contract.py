"""CloudWatch Logs' contract as the analysis reads it (`LogSource`), for the fake and for moto."""

from datetime import timedelta

import pytest

from datasync_scheduler.adapters.execution_logs import BASIC_FILTER, LogGroupMissing
from tests.contract.conftest import LOG_DAY, LogWorld

GROUP = "/aws/datasync/nightly"


def test_the_events_of_the_window_come_back_with_their_stream(logs: LogWorld) -> None:
    logs.put(GROUP, "exec-1", LOG_DAY - timedelta(hours=2), "before the window")
    logs.put(GROUP, "exec-1", LOG_DAY, "[ERROR] Failed to open source file /a: Permission denied", "[INFO] done")
    logs.put(GROUP, "exec-2", LOG_DAY + timedelta(minutes=1), "[WARN] another stream")
    logs.put(GROUP, "exec-1", LOG_DAY + timedelta(hours=2), "after the window")
    found = list(logs.source.events(GROUP, LOG_DAY - timedelta(minutes=1), LOG_DAY + timedelta(minutes=5)))
    assert sorted(found) == [
        ("[ERROR] Failed to open source file /a: Permission denied", "exec-1"),
        ("[INFO] done", "exec-1"),
        ("[WARN] another stream", "exec-2"),
    ]


def test_a_filter_pattern_may_or_may_not_be_applied_but_never_drops_what_matches(logs: LogWorld) -> None:
    logs.put(GROUP, "exec-1", LOG_DAY, "[ERROR] Failed to open source file /a: Permission denied")
    found = list(logs.source.events(GROUP, LOG_DAY, LOG_DAY + timedelta(minutes=1), BASIC_FILTER))
    assert ("[ERROR] Failed to open source file /a: Permission denied", "exec-1") in found


def test_a_log_group_that_does_not_exist_is_reported_as_such(logs: LogWorld) -> None:
    with pytest.raises(LogGroupMissing):
        list(logs.source.events("/aws/datasync/nowhere", LOG_DAY, LOG_DAY + timedelta(hours=1)))
