"""botocore's DataSync model: what DataSync's API accepts and answers, read once per process.

The model ships with botocore (in every function's package); reading it needs no credentials and
no network. Loading it costs some 40 ms, so every reader shares this one copy.
"""

from __future__ import annotations

import functools

import botocore.session
from botocore.model import ServiceModel, Shape


@functools.cache
def _model() -> ServiceModel:
    model: ServiceModel = botocore.session.get_session().get_service_model("datasync")
    return model


def shape(name: str) -> Shape:
    """The model's shape called `name` (e.g. `Options`, `TaskArn`, `TaskExecutionStatus`)."""
    return _model().shape_for(name)
