"""Makes moto's `arn:aws:states:::states:startExecution` integration speak the way AWS's does.

On AWS a state machine writes the optimized Step Functions integration's parameters in PascalCase
(`StateMachineArn`, `Input`, `Name`) and gets PascalCase back (`ExecutionArn`, `Status`, `Output`,
also inside the Cause of a failed `.sync` child). moto's interpreter (a vendored copy of
LocalStack's) has the code for that translation but leaves its two hooks empty, so the real
definition fails there with `States.Runtime: 'StateMachineArn'`. This fills the hooks for the
Step Functions integration only, with botocore's own model of the API; times become epoch
milliseconds, as in AWS's output. The hook is in emulator.moto_internals; tests/emulator has a
test for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import botocore.session
from botocore import xform_name

from emulator import moto_internals


@contextmanager
def aws_cased_stepfunctions_integration() -> Iterator[None]:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    operations = {xform_name(name): model.operation_model(name) for name in model.operation_names}
    with moto_internals.stepfunctions_integration_shaped(operations):
        yield
