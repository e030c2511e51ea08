"""Where `sam build` finds the Lambda runtime's Python: it builds without a container, so a python3.12
must be on PATH (to install functions/notify_slack/requirements.txt and build the core layer)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

RUNTIME = "python3.12"


def python_312_path() -> str | None:
    """A PATH with a working python3.12 first (this one, or pyenv's newest 3.12), or None."""
    found = shutil.which(RUNTIME)
    # A pyenv shim is on PATH even when its version is not selected; it then fails to run.
    if found and subprocess.run([found, "--version"], capture_output=True, check=False).returncode == 0:
        return os.environ["PATH"]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        for candidate in sorted(Path(root, "versions").glob("3.12.*/bin"), reverse=True):
            return f"{candidate}{os.pathsep}{os.environ['PATH']}"
    return None
