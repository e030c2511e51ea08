"""What the command line says when it cannot do its job: one sentence that says what to do.

The mistakes of a first day (no stack or endpoint to reach, no credentials, no Region, a file that is
not there, a stack that is not this project's) are answered with one line on standard error and
exit status 2, never a traceback; `--debug` shows the traceback as well. AWS refusing a call keeps
exit status 1, like a run that failed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from botocore import exceptions as botocore_errors

from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.ports import ApiCallFailed
from datasync_scheduler_cli.operate import OperatorError

USAGE = 2  # the operator can fix it: a flag, the environment, a file
REFUSED = 1  # AWS answered no, or the run itself failed

# What AWS answers when the credentials exist but are not accepted (expired, for another partition,
# or never valid). AccessDenied is not here: the credentials work, the policy says no.
_REJECTED_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)

_LOCAL_HINT = "if it is the local stack, start it with `datasync-scheduler local serve` and use the exports it prints"


@dataclass(frozen=True)
class Explanation:
    message: str
    status: int


def explain(error: BaseException) -> Explanation | None:
    """The sentence and exit status for an error an operator can act on; None for a bug."""
    if isinstance(error, OperatorError):
        return Explanation(str(error), USAGE)
    if isinstance(error, botocore_errors.NoRegionError):
        return Explanation(
            "no AWS Region is set: export AWS_REGION (e.g. AWS_REGION=eu-west-1) or set `region` in your AWS profile",
            USAGE,
        )
    if isinstance(error, botocore_errors.NoCredentialsError | botocore_errors.PartialCredentialsError):
        return Explanation(
            "no AWS credentials found: run `aws configure` or `aws sso login`, or export AWS_PROFILE; " + _LOCAL_HINT,
            USAGE,
        )
    if isinstance(
        error,
        botocore_errors.CredentialRetrievalError
        | botocore_errors.TokenRetrievalError
        | botocore_errors.SSOTokenLoadError
        | botocore_errors.UnauthorizedSSOTokenError,
    ):
        return Explanation(
            f"your AWS credentials could not be loaded ({error}): sign in again, e.g. `aws sso login`", USAGE
        )
    if isinstance(error, botocore_errors.ProfileNotFound):
        return Explanation(f"{error}: check AWS_PROFILE against `aws configure list-profiles`", USAGE)
    if isinstance(error, botocore_errors.ParamValidationError):
        return Explanation(f"{error}".replace("\n", " "), USAGE)
    if isinstance(error, botocore_errors.ConnectionError | botocore_errors.HTTPClientError):
        return Explanation(_unreachable(error), USAGE)
    if isinstance(error, botocore_errors.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _REJECTED_CREDENTIALS:
            return Explanation(
                f"AWS did not accept your credentials ({code}): refresh them (e.g. `aws sso login`) or check "
                "AWS_PROFILE and the Region",
                USAGE,
            )
        return Explanation(str(error), REFUSED)
    if isinstance(error, ApiCallFailed):
        return Explanation(str(error), REFUSED)
    if isinstance(error, UnicodeDecodeError):
        return Explanation(f"the input is not UTF-8 text ({error.reason} at byte {error.start})", USAGE)
    if isinstance(error, OSError) and error.filename is not None:
        return Explanation(f"cannot read {error.filename}: {error.strerror or error}", USAGE)
    return None


def _unreachable(error: Exception) -> str:
    endpoint = str(getattr(error, "kwargs", {}).get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or "AWS")
    custom = os.environ.get("AWS_ENDPOINT_URL")
    advice = _LOCAL_HINT if custom else "check your network, proxy and Region"
    if custom:
        advice = f"AWS_ENDPOINT_URL is {custom}; " + advice + ", or unset AWS_ENDPOINT_URL to reach AWS"
    return f"cannot reach {endpoint}: {error}; {advice}"


def one_line_error(explanation: Explanation) -> str:
    # AWS's texts and file names are untrusted: one line, nothing that steers the terminal.
    return f"error: {one_line(explanation.message)}"
