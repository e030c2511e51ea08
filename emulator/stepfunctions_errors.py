"""Makes moto's interpreter report errors the way Step Functions does where its own way differs.

- `States.ALL` matches every error but two. Step Functions documents that `States.ALL` "can't catch
  the States.DataLimitExceeded terminal error or Runtime error types"
  (docs/aws-facts.md#step-functions-and-cloudformation-names). moto's interpreter (a vendored copy
  of LocalStack's) lets `States.ALL` match every error, so a definition that relies on catching
  them would pass here and fail on AWS.
- A service integration whose call got no answer (a connection error or read timeout) fails the
  task with `States.TaskFailed`, which a Retry or Catch takes. moto reports every exception but a
  service's error response as `States.Runtime`, which nothing can catch; what Step Functions
  reports is not documented (docs/aws-facts.md#lost-responses).

The hooks are in emulator.moto_internals; tests/emulator has a test for each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from botocore.exceptions import HTTPClientError

from emulator import moto_internals

# The errors `States.ALL` leaves to fail the execution.
NOT_CAUGHT_BY_STATES_ALL = frozenset({"States.DataLimitExceeded", "States.Runtime"})


def _unanswered_call(error: Exception) -> bool:
    return isinstance(error, HTTPClientError)


@contextmanager
def states_all_as_on_aws() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(moto_internals.states_all_not_catching(NOT_CAUGHT_BY_STATES_ALL))
        stack.enter_context(moto_internals.integration_errors_failing_the_task(_unanswered_call))
        yield
