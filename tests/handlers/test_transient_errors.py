"""Which AWS errors pass: the adapters name them as botocore's standard retry mode judges them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import is_throttling, is_transient, port_error
from datasync_scheduler.ports import ApiCallFailed, ServiceThrottled, ServiceUnreachable


def client_error(code: str, status: int) -> ClientError:
    response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "DescribeTaskExecution")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, ServiceThrottled),
        ("ProvisionedThroughputExceededException", 400, ServiceThrottled),
        ("InternalException", 500, ServiceUnreachable),
        ("ServiceUnavailable", 503, ServiceUnreachable),
        ("RequestTimeoutException", 400, ServiceUnreachable),
        ("InvalidRequestException", 400, ApiCallFailed),
        ("AccessDeniedException", 400, ApiCallFailed),
    ],
)
def test_an_error_passes_exactly_when_botocores_standard_mode_would_retry_it(
    code: str, status: int, kind: type[ApiCallFailed]
) -> None:
    error = client_error(code, status)
    named = port_error(error, "DataSync")
    assert type(named) is kind
    assert is_transient(error) == (kind is not ApiCallFailed)
    assert is_throttling(error) == (kind is ServiceThrottled)
    assert (named.cause.where, named.cause.error) == ("DescribeTaskExecution", code)
