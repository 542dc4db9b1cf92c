"""Shared helpers: run ansible-playbook from the repository root and read its recap."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.MULTILINE,
)


def ansible_playbook(
    *args: str, inventory: str | Path = "inventories/sandbox", timeout: int = 900, local: bool = False
):
    """Run ansible-playbook from the repository root. ``local``: every host is the controller, so use
    this interpreter (interpreter discovery can pick a pyenv shim without Ansible's deps)."""
    if local:
        args = (*args, "-e", f"ansible_python_interpreter={sys.executable}")
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def recap(output: str) -> dict[str, dict[str, int]]:
    return {
        m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"}
        for m in RECAP.finditer(output)
    }


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def load_file_module(relative_path: str) -> ModuleType:
    """Import a Python file of the repository that is not on sys.path (an Ansible module, a
    role's module_utils) by its path."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as an import would: dataclasses look their module up in sys.modules.
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module
