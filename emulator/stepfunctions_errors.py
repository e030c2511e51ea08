"""Makes `States.ALL` in moto's interpreter match what it matches on AWS: every error but two.

Step Functions documents that `States.ALL` "can't catch the States.DataLimitExceeded terminal error
or Runtime error types" (docs/aws-facts.md#step-functions-and-cloudformation-names). moto's
interpreter (a vendored copy of LocalStack's) lets `States.ALL` match every error, so a definition
that relies on catching them would pass here and fail on AWS. The hook is in emulator.moto_internals;
tests/emulator has a test for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from emulator import moto_internals

# The errors `States.ALL` leaves to fail the execution.
NOT_CAUGHT_BY_STATES_ALL = frozenset({"States.DataLimitExceeded", "States.Runtime"})


@contextmanager
def states_all_as_on_aws() -> Iterator[None]:
    with moto_internals.states_all_not_catching(NOT_CAUGHT_BY_STATES_ALL):
        yield
