"""A DataSync end that falls on the very moment the await step's timeout expires.

A one-hour transfer with the default fallback interval: the second Await Sync End's timeout ends at
the second DataSync reports SUCCESS. DataSync's event resumes the step at that moment, before its
timeout would (docs/local-emulator.md#the-same-virtual-moment), and the run ends as any other.
"""

from benchmarks import state_transitions
from emulator.runner import run_scenario


def test_an_end_at_the_moment_the_await_times_out_ends_the_run_once_with_one_message() -> None:
    summary = run_scenario(state_transitions.scenario(3600, events_lost=False, fallback=900)).to_dict()

    assert summary["status"] == "SUCCEEDED"
    assert [message["subject"] for message in summary["notifications"]] == ["DataSync nightly-archive: sync succeeded"]
    assert summary["reaction_seconds"] == 0
    looks = ["Await Sync End", "Check Sync", "Sync Finished?"]
    assert summary["states_entered"] == [
        "Validate Sync Request",
        "Start Sync",
        *looks,  # the first await times out before the end: the check sees TRANSFERRING
        *looks,  # the second is resumed by the end's event at its timeout's moment
        "Execution Succeeded?",
        "Release Task",
        "Report Run",
        "Message Published?",
        "Sync Succeeded?",
        "Sync Succeeded",
    ]
    # The second await writes its TaskSucceeded alone: no TaskTimedOut beside it, none after it.
    assert summary["history_events"] == 56
