"""The emulator reads template.yaml the way CloudFormation does, for what it needs."""

from pathlib import Path

import pytest

from emulator.template import Intrinsics, load_template, parameter_values, substitute_definition

ROOT = Path(__file__).resolve().parents[2]


def test_short_form_tags_become_intrinsic_functions() -> None:
    template = load_template(ROOT / "template.yaml")
    variables = template["Resources"]["StartSyncFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["RUN_LEDGER_TABLE"] == {"Ref": "RunLedger"}
    substitutions = template["Resources"]["SyncWorkflow"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["StartSyncFunctionArn"] == {"Fn::GetAtt": ["StartSyncFunction", "Arn"]}


def test_intrinsics_resolve_refs_attributes_subs_and_conditions() -> None:
    intrinsics = Intrinsics(
        parameters={"Task": "", "Zone": "Europe/Berlin"},
        refs={"Table": "ledger"},
        attributes={("Fn", "Arn"): "arn:fn"},
        conditions={"HasTask": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Task"}, ""]}]}},
        pseudo={"AWS::Region": "eu-west-1"},
    )
    assert (
        intrinsics.resolve({"Fn::Sub": "${Table} in ${AWS::Region} via ${Fn.Arn}"}) == "ledger in eu-west-1 via arn:fn"
    )
    assert intrinsics.resolve({"Fn::If": ["HasTask", "ENABLED", "DISABLED"]}) == "DISABLED"
    assert intrinsics.resolve({"Fn::Sub": ["${X}!", {"X": {"Ref": "Zone"}}]}) == "Europe/Berlin!"


def test_parameters_are_checked_like_cloudformation_checks_them() -> None:
    template = load_template(ROOT / "template.yaml")
    assert parameter_values(template, {})["ScheduleTimezone"] == "UTC"
    # A Number parameter: a number, within its MinValue and MaxValue.
    with pytest.raises(ValueError, match="MaxAttempts='0' is less than its MinValue 1"):
        parameter_values(template, {"MaxAttempts": "0"})
    with pytest.raises(ValueError, match="MaxAttempts='11' is greater than its MaxValue 10"):
        parameter_values(template, {"MaxAttempts": "11"})
    with pytest.raises(ValueError, match="MaxAttempts='many' is not a number"):
        parameter_values(template, {"MaxAttempts": "many"})
    with pytest.raises(ValueError, match="DataSyncTaskArn"):
        parameter_values(template, {"DataSyncTaskArn": "my-task"})
    with pytest.raises(ValueError, match="unknown template parameters: Nope"):
        parameter_values(template, {"Nope": "1"})


def test_a_definition_placeholder_without_a_substitution_is_an_error() -> None:
    with pytest.raises(KeyError, match="MissingArn"):
        substitute_definition('{"Resource": "${MissingArn}"}', {})
    assert substitute_definition('{"Resource": "${A}"}', {"A": "arn:a"}) == '{"Resource": "arn:a"}'
