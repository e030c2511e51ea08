"""The operator's commands against the local stack served over HTTP, as from another terminal."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from emulator.scenario import Scenario, parse_scenario
from emulator.server import LocalStackServer, serve_local_stack

GIB = 1024**3
# Fast enough for a run to take about a second, slow enough for a watcher to see it move.
SPEED = 1200.0


def _task(name: str, execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "source": {"type": "NFS", "server": "files.example.internal", "subdirectory": f"/{name}"},
        "destination": {"type": "S3", "bucket": f"{name}-archive"},
        "options": {"LogLevel": "BASIC"},
        "logGroup": f"/aws/datasync/{name}",
        "executions": [execution],
    }


OPERATOR_TASKS: Scenario = parse_scenario(
    "operator-tasks",
    {
        "description": "Two tasks: quick-copy copies 10 GiB cleanly; changing-share ends in ERROR with a file "
        "that changed during the copy. One attempt per run, so a failed run ends at once.",
        "parameters": {"MaxAttempts": "1"},
        "tasks": [
            _task(
                "quick-copy",
                {
                    "phases": [
                        {"status": "LAUNCHING", "seconds": 20},
                        {"status": "PREPARING", "seconds": 60},
                        # Three real seconds at SPEED: a watcher sees it move even on a loaded machine.
                        {"status": "TRANSFERRING", "seconds": 3600},
                        {"status": "VERIFYING", "seconds": 60},
                    ],
                    "files": 2400,
                    "bytes": 10 * GIB,
                },
            ),
            _task(
                "changing-share",
                {
                    "phases": [
                        {"status": "LAUNCHING", "seconds": 20},
                        {"status": "PREPARING", "seconds": 30},
                        {"status": "TRANSFERRING", "seconds": 300},
                        {"status": "VERIFYING", "seconds": 60},
                    ],
                    "outcome": "ERROR",
                    "errorDetail": "Transfer and verification completed. Verification detected mismatches. "
                    "Files with mismatches are listed in Cloud Watch Logs",
                    "files": 100,
                    "bytes": GIB,
                    "failedFiles": [{"path": "/reports/q3.xlsx", "kind": "checksum"}],
                },
            ),
        ],
    },
)


@pytest.fixture
def served() -> Iterator[LocalStackServer]:
    with serve_local_stack(port=0, speed=SPEED, scenario=OPERATOR_TASKS) as server:
        yield server


def http_clients(server: LocalStackServer) -> Any:
    """Clients given the server's endpoint: they talk HTTP to it, as another process would."""
    return lambda service: boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1")
