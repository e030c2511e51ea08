"""The task lease's contract (`TaskLeasePort`), for the fake and for DynamoDB on moto."""

from datetime import UTC, datetime, timedelta

from datasync_scheduler.ports import TaskLeasePort

TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
OTHER_TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef1"
RUN_1 = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-1:run-1"
RUN_2 = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-1:run-2"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_of_two_runs_asking_for_a_free_task_the_first_gets_it_and_the_second_is_told_who_holds_it(
    task_lease: TaskLeasePort,
) -> None:
    assert task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a") is None
    holder = task_lease.acquire(TASK, RUN_2, T0, T0 + HOUR, "request-b")

    assert holder is not None
    assert (holder.owner, holder.request, holder.expires_at) == (RUN_1, "request-a", T0 + HOUR)
    stored = task_lease.holder(TASK)
    assert stored is not None and stored.owner == RUN_1  # the refused run wrote nothing


def test_the_owner_asking_again_renews_its_own_lease(task_lease: TaskLeasePort) -> None:
    # A retried Start Sync (its first answer was lost) and every later look of the same run.
    assert task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a") is None
    assert task_lease.acquire(TASK, RUN_1, T0 + HOUR / 2, T0 + 3 * HOUR, "request-a") is None

    stored = task_lease.holder(TASK)
    assert stored is not None and (stored.owner, stored.expires_at) == (RUN_1, T0 + 3 * HOUR)
    holder = task_lease.acquire(TASK, RUN_2, T0 + 2 * HOUR, T0 + 4 * HOUR, "request-b")
    assert holder is not None and holder.owner == RUN_1  # renewed: not ended at its first end


def test_a_lease_past_its_end_is_taken_over_although_its_item_is_still_stored(task_lease: TaskLeasePort) -> None:
    task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a")

    # Still held at its last second; ended one second later (TTL has not deleted it: lazy).
    held = task_lease.acquire(TASK, RUN_2, T0 + HOUR, T0 + 2 * HOUR, "request-b")
    assert held is not None and held.owner == RUN_1
    assert task_lease.acquire(TASK, RUN_2, T0 + HOUR + timedelta(seconds=1), T0 + 2 * HOUR, "request-b") is None
    stored = task_lease.holder(TASK)
    assert stored is not None and stored.owner == RUN_2


def test_a_release_by_a_run_that_does_not_hold_the_lease_does_nothing(task_lease: TaskLeasePort) -> None:
    task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a")

    task_lease.release(TASK, RUN_2)
    task_lease.release(OTHER_TASK, RUN_1)  # no lease there at all

    stored = task_lease.holder(TASK)
    assert stored is not None and stored.owner == RUN_1
    assert task_lease.holder(OTHER_TASK) is None


def test_a_released_lease_is_free_for_the_next_run(task_lease: TaskLeasePort) -> None:
    task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a")

    task_lease.release(TASK, RUN_1)

    assert task_lease.holder(TASK) is None
    assert task_lease.acquire(TASK, RUN_2, T0, T0 + HOUR, "request-b") is None


def test_each_task_has_its_own_lease(task_lease: TaskLeasePort) -> None:
    assert task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a") is None
    assert task_lease.acquire(OTHER_TASK, RUN_2, T0, T0 + HOUR, "request-b") is None


def test_only_the_owner_renews_its_lease(task_lease: TaskLeasePort) -> None:
    task_lease.acquire(TASK, RUN_1, T0, T0 + HOUR, "request-a")

    assert task_lease.renew(TASK, RUN_2, T0, T0 + 5 * HOUR) is False
    assert task_lease.renew(OTHER_TASK, RUN_1, T0, T0 + 5 * HOUR) is False  # no lease there
    assert task_lease.renew(TASK, RUN_1, T0 + HOUR / 2, T0 + 2 * HOUR) is True

    stored = task_lease.holder(TASK)
    assert stored is not None and (stored.owner, stored.request, stored.expires_at) == (
        RUN_1,
        "request-a",
        T0 + 2 * HOUR,
    )
    assert task_lease.holder(OTHER_TASK) is None
