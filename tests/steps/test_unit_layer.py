"""The fast layer stays fast: a test in it that reaches for AWS or the network fails, naming why."""

import socket

import boto3
import pytest
from moto import mock_aws

from tests.conftest import LeftTheUnitLayer


def test_a_unit_test_that_calls_aws_through_moto_fails_loudly() -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        with pytest.raises(LeftTheUnitLayer, match="belongs in tests/handlers"):
            client.list_tables()


def test_a_unit_test_that_opens_a_connection_fails_loudly() -> None:
    with pytest.raises(LeftTheUnitLayer, match="offline"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
