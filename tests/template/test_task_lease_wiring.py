"""The task lease's three places agree: the adapter's key, the workflow's release, the role's condition."""

import json
from pathlib import Path
from typing import Any

from datasync_scheduler.adapters.task_lease import LEASE_KEY_PREFIX
from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
SYNC_ASL = ROOT / "statemachine" / "sync_workflow.asl.json"


def sync_states() -> dict[str, Any]:
    states: dict[str, Any] = json.loads(SYNC_ASL.read_text(encoding="utf-8"))["States"]
    return states


def test_release_task_deletes_only_the_runs_own_lease_under_the_adapters_key() -> None:
    release = sync_states()["Release Task"]
    key = release["Parameters"]["Key"]["executionArn"]["S.$"]
    assert key == f"States.Format('{LEASE_KEY_PREFIX}{{}}', $.request.taskArn)"
    assert release["Parameters"]["ConditionExpression"] == "leaseOwner = :owner"
    assert release["Parameters"]["ExpressionAttributeValues"] == {":owner": {"S.$": "$$.Execution.Id"}}
    # A lease that is no longer the run's is left alone, silently; a release that fails otherwise is
    # harmless (the lease ends on its own): the run goes on to its report, which says so, as the next
    # run of the task may be refused or wait until then.
    not_ours, failed = release["Catch"]
    assert (not_ours["ErrorEquals"], not_ours["ResultPath"], not_ours["Next"]) == (
        ["DynamoDB.ConditionalCheckFailedException"],
        None,
        "Report Run",
    )
    assert (failed["ErrorEquals"], failed["ResultPath"], failed["Next"]) == (
        ["States.ALL"],
        "$.releaseError",
        "Report Run",
    )
    assert sync_states()["Report Run"]["Parameters"]["releaseError.$"] == "$.releaseError"
    assert release["ResultPath"] is None and release["Next"] == "Report Run"


def test_every_way_to_the_report_after_a_start_passes_the_release() -> None:
    def targets(state: dict[str, Any]) -> list[str]:
        found = [state.get("Next"), state.get("Default")]
        found += [choice["Next"] for choice in state.get("Choices", [])]
        found += [catch["Next"] for catch in state.get("Catch", [])]
        return [name for name in found if name]

    into_report = sorted(name for name, state in sync_states().items() if "Report Run" in targets(state))
    # Only a request rejected before any start (no lease taken) goes straight to the report.
    assert into_report == ["Input Rejected", "Release Task"]


def test_the_workflow_may_delete_lease_items_and_nothing_else_of_the_ledger() -> None:
    policies = load_template(ROOT / "template.yaml")["Resources"]["SyncWorkflow"]["Properties"]["Policies"]
    statements = [statement for policy in policies if "Statement" in policy for statement in policy["Statement"]]
    deleting = [statement for statement in statements if "dynamodb:DeleteItem" in statement["Action"]]
    assert len(deleting) == 1
    (statement,) = deleting
    assert statement["Action"] == ["dynamodb:DeleteItem"]
    assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{LEASE_KEY_PREFIX}*"]}}
