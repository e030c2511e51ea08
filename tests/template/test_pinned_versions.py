"""The Powertools version is pinned once, in constraints.txt; every other mention agrees with it.

The functions run with the Powertools layer the template's `PowertoolsLayerArn` names (a public SSM
parameter per architecture, Python version and release: docs/aws-facts.md#powertools-layer), and
the tests and the emulator with the package pip installs: they must be the same release.
"""

import re
from pathlib import Path

from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
LAYER_PARAMETER = re.compile(
    r"/aws/service/powertools/python/(?P<arch>[\w-]+)/(?P<python>python[\d.]+)/(?P<version>[\w.]+)"
)


def pinned() -> str:
    """The one pin: constraints.txt's line for aws_lambda_powertools."""
    (version,) = re.findall(
        r"^aws[_-]lambda[_-]powertools==([\d.]+)$", (ROOT / "constraints.txt").read_text(), flags=re.MULTILINE
    )
    return version


def test_the_project_depends_on_the_pinned_release() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (version,) = re.findall(r'"aws-lambda-powertools(?:\[[\w,]+\])?==([\d.]+)"', text)
    assert version == pinned()


def test_the_layer_is_the_pinned_release_for_the_functions_runtime_and_architecture() -> None:
    default = TEMPLATE["Parameters"]["PowertoolsLayerArn"]["Default"]
    layer = LAYER_PARAMETER.fullmatch(default)
    assert layer is not None, default
    functions = TEMPLATE["Globals"]["Function"]
    assert layer["version"] == pinned()
    assert layer["python"] == functions["Runtime"]
    assert [layer["arch"]] == functions["Architectures"]
    # No function overrides the runtime or architecture the layer is built for.
    for name, spec in TEMPLATE["Resources"].items():
        if spec["Type"] == "AWS::Serverless::Function":
            assert not {"Runtime", "Architectures"} & set(spec["Properties"]), name


def test_every_document_that_names_the_layer_names_the_pinned_release() -> None:
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = [
        (path.name, match["version"]) for path in documents for match in LAYER_PARAMETER.finditer(path.read_text())
    ]
    assert all(version == pinned() for _, version in named), named
