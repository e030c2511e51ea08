"""Each function sees its own environment variables and no other function's, as on Lambda."""

import os
import threading
from pathlib import Path

import boto3

from emulator.local_aws import local_aws

TEMPLATE = Path(__file__).resolve().parent / "function_environments.yaml"
NAMES = ["SHARED_SETTING", "SUCCESS_NOTIFICATION", "ARCHIVE_BUCKET"]


def test_a_function_sees_the_globals_and_its_own_variables_but_not_another_functions() -> None:
    with local_aws() as aws:
        aws.deploy(template=TEMPLATE)
        reporter, _ = aws.router.invoke("Reporter", {"names": NAMES})
        archiver, _ = aws.router.invoke("Archiver", {"names": NAMES})
        assert reporter == {"SHARED_SETTING": "from-globals", "SUCCESS_NOTIFICATION": "silent", "ARCHIVE_BUCKET": None}
        assert archiver == {
            "SHARED_SETTING": "from-globals",
            "SUCCESS_NOTIFICATION": None,
            "ARCHIVE_BUCKET": "archive-bucket",
        }
        # Outside an invocation the process has none of them.
        assert not set(NAMES) & set(os.environ)


def test_no_client_is_built_while_a_function_has_the_environment() -> None:
    # botocore reads the whole environment when it builds a client, and the Step Functions
    # interpreter builds clients in its own threads: a variable removed as a function ends, between
    # botocore listing it and reading it, made a workflow step fail with KeyError.
    with local_aws() as aws:
        aws.deploy(template=TEMPLATE)
        running, release, built = threading.Event(), threading.Event(), threading.Event()
        holder = threading.Thread(target=aws.router.invoke, args=("Holder", {"running": running, "release": release}))
        holder.start()
        try:
            assert running.wait(30)

            def build() -> None:
                boto3.session.Session().client("sns", region_name="us-east-1")
                built.set()

            builder = threading.Thread(target=build)
            builder.start()
            # Only a wait can show that something does not happen; with the function holding the
            # environment the client cannot be built however long this waits.
            assert not built.wait(0.5)
        finally:
            release.set()
            holder.join(30)
        builder.join(30)
        assert built.is_set()
