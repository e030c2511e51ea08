"""Makes `States.ALL` in moto's interpreter match what it matches on AWS: every error but two.

Step Functions documents that `States.ALL` "can't catch the States.DataLimitExceeded terminal error
or Runtime error types" (docs/aws-facts.md#step-functions-and-cloudformation-names). moto's
interpreter (a vendored copy of LocalStack's) lets `States.ALL` match every error, so a definition
that relies on catching them would pass here and fail on AWS. A moto internal: moto is pinned, and
tests/emulator has a test for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.eval.environment import Environment

# The errors `States.ALL` leaves to fail the execution.
NOT_CAUGHT_BY_STATES_ALL = frozenset(
    {StatesErrorNameType.StatesStatesDataLimitExceeded.to_name(), StatesErrorNameType.StatesRuntime.to_name()}
)
_STATES_ALL = StatesErrorName(typ=StatesErrorNameType.StatesALL)


@contextmanager
def states_all_as_on_aws() -> Iterator[None]:
    original = ErrorEqualsDecl._eval_body

    def eval_body(self: ErrorEqualsDecl, env: Environment) -> None:
        error_name: Any = env.stack[-1]  # what the original pops and matches
        original(self, env)
        if self.error_names == [_STATES_ALL] and getattr(error_name, "error_name", None) in NOT_CAUGHT_BY_STATES_ALL:
            env.stack[-1] = False

    ErrorEqualsDecl._eval_body = eval_body  # type: ignore[method-assign]
    try:
        yield
    finally:
        ErrorEqualsDecl._eval_body = original  # type: ignore[method-assign]
