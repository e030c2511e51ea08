"""Prints, per function, the size of what `sam build` packages and the cold import time of its handler.

1. Runs `sam build` (without a container: it needs the Lambda runtime's Python, python3.12, on PATH;
   pyenv's is found when it is not) into a temporary folder.
2. Zips each function's artifact and each of the template's own layers as `sam package` does
   (deflate) and prints their sizes; the target is every function but the Slack notifier under
   200 KB.
3. Times the import of each handler in a fresh python3.12 process that sees only what a function
   sees on Lambda (docs/aws-facts.md#lambda-layers): its own artifact first, then the layers'
   `python/` folders, then what the runtime provides: boto3 and the libraries it needs, at the
   pinned versions (constraints.txt). The public Powertools layer stands in as
   `aws-lambda-powertools[all]` at the pinned version without the runtime's packages, as AWS builds
   it. Both are installed once into `.aws-sam/bench-packages/` with pip. No virtualenv, no
   `site-packages` of the machine, no bytecode written: SAM packages no `.pyc` and Lambda's code and
   layer folders are read-only, so our modules are compiled at every cold start, while the
   runtime's and Powertools' packages come with theirs (pip compiles them). The environment is the
   one Lambda sets (function name, Region, X-Ray on), so Powertools' Tracer patches as it does
   there. Printed: the median wall-clock and CPU time of `--runs` imports and the least CPU time
   (on a busy machine the CPU time is the steadier figure), the modules loaded (all of them, and
   the core package's: these do not vary), and where the time goes (one more import under
   `-X importtime`, self time by top-level package); the target is 250 ms per handler.

The interpreter start (about 10-20 ms) is not counted, nor what Lambda's runtime client imports
before the handler. Figures from this machine, not Lambda's: compare them with each other. Figures,
not assertions.

The table is Markdown; `--write-docs` also writes it into docs/benchmarks.md.

Usage: python benchmarks/packages.py [--runs N] [--root DIR] [--write-docs]   (--root: another checkout)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from emulator.template import load_template

# The functions' environments are read from the template the way the tests read them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, machine_line, span, write_blocks
from tests.sam_python import python_312_path
from tests.template_environment import function_environment

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = "python3.12"
# What the Python runtime provides beside the standard library: boto3 and what it needs. AWS's
# Powertools layer build removes exactly these from the layer, as the runtime has them.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")
RUNTIME_REMOVED_FROM_LAYER = ("boto*", "s3transfer*", "*dateutil*", "urllib3*", "six*", "jmespath*")
SIZE_TARGET_KB = 200
IMPORT_TARGET_MS = 250
SLACK_NOTIFIER = "NotifySlackFunction"

IMPORT_SCRIPT = """
import importlib.util, sys, time
before = set(sys.modules)
start, cpu = time.perf_counter(), time.process_time()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
took, cpu_took = time.perf_counter() - start, time.process_time() - cpu
assert callable(getattr(module, sys.argv[2]))
loaded = set(sys.modules) - before
ours = [name for name in loaded if name.startswith("datasync_scheduler")]
print(round(took * 1000, 1), round(cpu_took * 1000, 1), len(loaded), len(ours))
"""


@dataclass(frozen=True)
class Function:
    name: str
    code_dir: Path
    handler: str
    layers: tuple[str, ...]  # logical ids of the template's own layers it uses


def runtime_path() -> str:
    path = python_312_path()
    if path is None:
        raise SystemExit(f"no {RUNTIME} on this machine: sam build needs the Lambda runtime's Python")
    return path


def sam_build(root: Path, out: Path, path: str) -> Path:
    sam = Path(sys.executable).parent / "sam"
    env = {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    command = [str(sam), "build", "--build-dir", str(out / "build"), "--cache-dir", str(out / "cache")]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"sam build failed:\n{result.stdout}\n{result.stderr}")
    return out / "build"


def built_functions(build: Path) -> tuple[list[Function], dict[str, Path]]:
    template = load_template(build / "template.yaml")
    globals_function = template.get("Globals", {}).get("Function", {})
    resources = template["Resources"]
    layers = {
        name: build / str(spec["Properties"]["ContentUri"])
        for name, spec in resources.items()
        if spec["Type"] == "AWS::Serverless::LayerVersion"
    }
    functions = []
    for name, spec in resources.items():
        if spec["Type"] != "AWS::Serverless::Function":
            continue
        props = {**globals_function, **spec["Properties"]}
        used = [*globals_function.get("Layers", []), *spec["Properties"].get("Layers", [])]
        own = tuple(layer["Ref"] for layer in used if isinstance(layer, dict) and layer.get("Ref") in layers)
        functions.append(Function(name, build / str(props["CodeUri"]), str(props["Handler"]), own))
    return sorted(functions, key=lambda function: function.name), layers


def zipped_size(folder: Path) -> int:
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zipped.write(path, path.relative_to(folder))
        return archive.tell()


def runtime_stand_in(cache: Path, path: str) -> tuple[Path, Path]:
    """(the runtime's boto3 and its needs, the Powertools layer's python/ folder), installed once."""
    runtime, powertools = cache / "runtime", cache / "powertools-layer" / "python"
    constraints = ROOT / "constraints.txt"
    pins = {
        name.strip().lower().replace("_", "-"): version.strip()
        for name, version in (
            line.split("==", 1) for line in constraints.read_text(encoding="utf-8").splitlines() if "==" in line
        )
    }
    wanted = {
        "runtime": [f"{name}=={pins[name]}" for name in RUNTIME_PACKAGES],
        "powertools": pins["aws-lambda-powertools"],
    }
    stamp = cache / "installed.json"
    if stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == wanted:
        return runtime, powertools
    shutil.rmtree(cache, ignore_errors=True)
    python = shutil.which(RUNTIME, path=path)
    assert python, RUNTIME
    pip = [python, "-m", "pip", "install", "--quiet", "--no-warn-script-location", "-c", str(constraints)]
    subprocess.run([*pip, "--target", str(runtime), *wanted["runtime"]], check=True)
    layer = f"aws-lambda-powertools[all]=={wanted['powertools']}"
    subprocess.run([*pip, "--target", str(powertools), layer], check=True)
    for pattern in RUNTIME_REMOVED_FROM_LAYER:
        for leftover in powertools.glob(pattern):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    stamp.write_text(json.dumps(wanted), encoding="utf-8")
    return runtime, powertools


def lambda_environment(function: Function, path: str) -> dict[str, str]:
    """What Lambda sets and the handlers may read at import; nothing of this machine's environment."""
    return {
        "PATH": path,
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": "/var/task",
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1",
        # The function's own variables as template.yaml sets them (its defaults; a Slack secret for the
        # notifier): a handler may read its settings at import.
        **function_environment(
            function.name, SlackWebhookSecretArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf"
        ),
    }


def import_command(function: Function, sys_path: list[Path], *extra: str) -> list[str]:
    module, _, attribute = function.handler.rpartition(".")
    handler_file = function.code_dir.joinpath(*module.split(".")).with_suffix(".py")
    # -I: no user site, no PYTHONPATH, no script folder; -S: not even this interpreter's site-packages.
    setup = f"import sys; sys.path[:0] = {[str(p) for p in sys_path]!r}\n"
    return [RUNTIME, "-I", "-S", *extra, "-c", setup + IMPORT_SCRIPT, str(handler_file), attribute]


@dataclass(frozen=True)
class Imported:
    wall_ms: float  # median
    cpu_ms: float  # median
    cpu_min_ms: float  # the least a run took: the steadiest figure on a busy machine
    modules: int  # modules the import loaded
    own_modules: int  # of them, the core package's


def time_imports(function: Function, sys_path: list[Path], env: dict[str, str], runs: int) -> Imported:
    """The import's wall-clock and CPU time (ms) over `runs` fresh processes; on a busy machine the
    CPU time is the steadier figure (an import is CPU work), and the modules loaded do not vary."""
    timings: list[float] = []
    cpu_timings: list[float] = []
    counts = (0, 0)
    for _ in range(runs):
        result = subprocess.run(
            import_command(function, sys_path), env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"{function.name}: the handler does not import as on Lambda:\n{result.stderr}")
        wall, cpu, modules, own = result.stdout.strip().splitlines()[-1].split()
        timings.append(float(wall))
        cpu_timings.append(float(cpu))
        counts = (int(modules), int(own))
    return Imported(statistics.median(timings), statistics.median(cpu_timings), min(cpu_timings), counts[0], counts[1])


def where_time_goes(function: Function, sys_path: list[Path], env: dict[str, str]) -> dict[str, float]:
    """Self time (ms) by top-level package, from one import under -X importtime."""
    result = subprocess.run(
        import_command(function, sys_path, "-X", "importtime"), env=env, capture_output=True, text=True, check=False
    )
    spent: dict[str, float] = defaultdict(float)
    for row in result.stderr.splitlines():
        if not row.startswith("import time:") or "self [us]" in row:
            continue
        self_us, _cumulative, name = (part.strip() for part in row.removeprefix("import time:").split("|"))
        spent[name.split(".")[0]] += int(self_us) / 1000
    return dict(spent)


DOC_COLUMNS = (
    Column("function", right=False),
    Column("artifact"),
    Column("with the core layer"),
    Column("import, CPU median", measured=True),
    Column("least", measured=True),
)
# Self time of the import by top-level package, as the docs group it.
RUNTIME_MODULES = ("boto3", "botocore")
OWN_MODULES = ("datasync_scheduler",)


@dataclass(frozen=True)
class Measured:
    function: Function
    size: int  # bytes zipped
    with_layers: int
    imported: Imported
    spent: dict[str, float]  # ms of self time by top-level package


def packages_part(measured: list[Measured], layer_sizes: dict[str, int], machine: str) -> str:
    """The docs' table: every function but the Slack notifier in one row (ranges over them), the notifier in
    another; then what the imports spend their time on."""
    groups = {
        "every function but the Slack notifier": [m for m in measured if m.function.name != SLACK_NOTIFIER],
        "Slack notifier (with `slack_sdk`)": [m for m in measured if m.function.name == SLACK_NOTIFIER],
    }
    rows = tuple(
        (
            label,
            span([m.size / 1024 for m in group], ".1f", " KB"),
            span([m.with_layers / 1024 for m in group], ".0f", " KB"),
            span([m.imported.cpu_ms for m in group], ".0f", " ms"),
            span([m.imported.cpu_min_ms for m in group], ".0f", " ms"),
        )
        for label, group in groups.items()
        if group
    )

    def self_time(modules: tuple[str, ...]) -> str:
        return span([sum(m.spent.get(name, 0.0) for name in modules) for m in measured], ".0f", " ms")

    layers = ", ".join(f"{name} {size / 1024:,.0f} KB" for name, size in layer_sizes.items())
    return (
        Table(DOC_COLUMNS, rows).markdown()
        + f"\n\nThe project's layers, zipped and shipped once: {layers}. Of one import under `-X importtime`, "
        f"boto3 and botocore take {self_time(RUNTIME_MODULES)} of self time and this project's own modules "
        f"{self_time(OWN_MODULES)}. {machine}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to build (default: this one)")
    parser.add_argument("--write-docs", action="store_true", help="also write the table into the docs")
    args = parser.parse_args()
    if args.write_docs and args.root.resolve() != ROOT:
        parser.error("--write-docs writes the docs' figures, which are for this checkout")
    path = runtime_path()
    # The imports are timed in the runtime's Python, not in the one running this script.
    python = shutil.which(RUNTIME, path=path)
    assert python, RUNTIME
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=True
    )
    machine = machine_line(version.stdout.strip())
    runtime, powertools = runtime_stand_in(ROOT / ".aws-sam" / "bench-packages", path)
    measured: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="bench-packages-") as scratch:
        build = sam_build(args.root.resolve(), Path(scratch), path)
        functions, layers = built_functions(build)
        layer_sizes = {name: zipped_size(folder) for name, folder in layers.items()}
        print(
            f"sam build of {args.root.resolve()}: {len(functions)} functions, {RUNTIME},"
            f" median of {args.runs} imports each"
        )
        for name, size in layer_sizes.items():
            print(f"  layer {name}: {size / 1024:,.0f} KB zipped")
        print(f"  layer Powertools (public, stands in as {powertools.parent.name}): not ours to ship")
        print()
        header = (
            f"{'function':<28} {'artifact':>9} {'+ own layers':>13} {'wall':>7} {'CPU':>6} {'CPU min':>8}"
            f" {'modules':>8} {'ours':>5}  where the import time goes (ms, self time by package)"
        )
        print(header)
        print("-" * len(header))
        worst_size, worst_import = 0, 0.0
        for function in functions:
            size = zipped_size(function.code_dir)
            with_layers = size + sum(layer_sizes[layer] for layer in function.layers)
            sys_path = [
                function.code_dir,
                *(layers[layer] / "python" for layer in function.layers),
                powertools,
                runtime,
            ]
            env = lambda_environment(function, path)
            imported = time_imports(function, sys_path, env, args.runs)
            spent = where_time_goes(function, sys_path, env)
            measured.append(Measured(function, size, with_layers, imported, spent))
            top = sorted(spent.items(), key=lambda item: -item[1])[:5]
            shown = ", ".join(f"{name} {ms:.0f}" for name, ms in top)
            print(
                f"{function.name:<28} {size / 1024:>6,.1f} KB {with_layers / 1024:>10,.0f} KB"
                f" {imported.wall_ms:>4.0f} ms {imported.cpu_ms:>3.0f} ms {imported.cpu_min_ms:>5.0f} ms"
                f" {imported.modules:>8} {imported.own_modules:>5}  {shown}"
            )
            if function.name != SLACK_NOTIFIER:
                worst_size = max(worst_size, size)
            worst_import = max(worst_import, imported.cpu_ms)
    print()
    print(f"largest artifact but the Slack notifier's: {worst_size / 1024:,.0f} KB (target < {SIZE_TARGET_KB} KB)")
    print(f"slowest cold import (CPU, median): {worst_import:.0f} ms (target < {IMPORT_TARGET_MS} ms)")
    part = packages_part(measured, layer_sizes, machine)
    print()
    print(part)
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"packages": part}})


if __name__ == "__main__":
    main()
