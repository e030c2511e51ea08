"""Which messages a named schedule's firing sends: its digest, and which of its runs send their own.

A firing (domain/schedules.py `Firing`) runs its tasks as one batch, which sends one digest. A run of
the firing sends its own message only as the schedule's `perTaskMessages` says:

| perTaskMessages | a run sends its own message when |
|---|---|
| `all` | always |
| `problems` (default) | it did not end SUCCEEDED ("failed"), or succeeded only after a retry ("recovered") |
| `none` | never: the digest has its line |

The verdict, the run result, the history and the metrics are the same either way: only the publish
is withheld, and the run result says so (`message: "in the firing's digest"`). A firing that resolves
to exactly one task sends only that task's own message (the richer one: figures, failed files by
category, phases, the failure report), whatever the policy: its run is given `perTaskMessages: all`
(`firing_for_each_run`) and the digest is not published (`digest_needed`), unless the task's run
could not even be started (then no run sent anything, and the digest says why).
"""

from __future__ import annotations

from datasync_scheduler.domain.batch import BatchSummary
from datasync_scheduler.domain.schedules import Firing

# What a run of a firing says in its result when its own message was withheld.
IN_THE_DIGEST = "in the firing's digest"
# What a one-task firing's batch says in its result: its run's message was the firing's one message.
IN_THE_TASKS_OWN_MESSAGE = "the task's own message (a firing of one task sends only that)"


def sends_own_message(firing: Firing | None, outcome: str) -> bool:
    """Whether a run publishes its own message, by its message's outcome (`succeeded`, `recovered`,
    `failed`): every run without a firing; a firing's run as its `perTaskMessages` says."""
    if firing is None:
        return True
    if firing.per_task_messages == "all":
        return True
    if firing.per_task_messages == "none":
        return False
    return outcome != "succeeded"


def firing_for_each_run(firing: Firing, tasks: int) -> Firing:
    """The firing as each of its `tasks` runs gets it: a one-task firing's run sends its own message
    (the firing's one message), whatever `perTaskMessages` the schedule chose for bigger firings."""
    if tasks == 1:
        return firing.model_copy(update={"per_task_messages": "all"})
    return firing


def digest_needed(summary: BatchSummary) -> bool:
    """A firing sends its digest unless it ran exactly one task whose run was started: that run
    sent the firing's one message (its own, `perTaskMessages: all`)."""
    if summary.total != 1:
        return True
    return summary.outcomes[0].execution_arn is None
