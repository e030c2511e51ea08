"""Each function sees its own environment variables and no other function's, as on Lambda."""

import os
from pathlib import Path

from emulator.runner import local_aws

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
