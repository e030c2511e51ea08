"""Makes moto's `arn:aws:states:::states:startExecution` integration speak the way AWS's does.

On AWS a state machine writes the optimized Step Functions integration's parameters in PascalCase
(`StateMachineArn`, `Input`, `Name`) and gets PascalCase back (`ExecutionArn`, `Status`, `Output`,
also inside the Cause of a failed `.sync` child). moto's interpreter (a vendored copy of
LocalStack's) has the code for that translation but leaves its two hooks empty, so the real
definition fails there with `States.Runtime: 'StateMachineArn'`. This fills the hooks for the
Step Functions integration only, with botocore's own model of the API; times become epoch
milliseconds, as in AWS's output. A moto internal: moto is pinned, and tests/emulator has a test
for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import botocore.session
from botocore import xform_name
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)


@contextmanager
def aws_cased_stepfunctions_integration() -> Iterator[None]:
    original_parameters = StateTaskServiceSfn._normalise_parameters
    original_response = StateTaskServiceSfn._normalise_response
    model = botocore.session.get_session().get_service_model("stepfunctions")
    operations = {xform_name(name): model.operation_model(name) for name in model.operation_names}

    def normalise_parameters(
        self: StateTaskServiceSfn,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_parameters(self, parameters, boto_service_name, service_action_name)  # Input as JSON text
        shape = operations[service_action_name or self._get_boto_service_action()].input_shape
        if shape is not None:
            self._to_boto_request(parameters, shape)

    def normalise_response(
        self: StateTaskServiceSfn,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_response(self, response, boto_service_name, service_action_name)
        shape = operations[service_action_name or self._get_boto_service_action()].output_shape
        if shape is not None:
            self._from_boto_response(response, shape)
        if isinstance(response, dict):
            for key, value in response.items():
                if isinstance(value, datetime):
                    response[key] = round(value.timestamp() * 1000)  # AWS: epoch milliseconds

    StateTaskServiceSfn._normalise_parameters = normalise_parameters  # type: ignore[method-assign,assignment]
    StateTaskServiceSfn._normalise_response = normalise_response  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        StateTaskServiceSfn._normalise_parameters = original_parameters  # type: ignore[method-assign]
        StateTaskServiceSfn._normalise_response = original_response  # type: ignore[method-assign]
