"""vSphere layer: OpenTofu + the vSphere provider against vcsim-gpu (govmomi's simulator with NVIDIA
GPUs on its hosts), checked with govc. Tools come from scripts/build-vsphere-tools.sh (`make vsphere`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_onprem import vcsim
from tests.conftest import ROOT

TOOLS = vcsim.tools_dir()


def _tool(name: str) -> str:
    path = TOOLS / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make vsphere-tools` first")
    return str(path)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[vcsim.Simulator]:
    """One vcsim-gpu for the session, on a free loopback port, stopped by PID at the end."""
    sim = vcsim.start(tmp_path_factory.mktemp("vcsim"))
    yield sim
    vcsim.stop(sim.pid)


def govc(sim: vcsim.Simulator, *args: str) -> str:
    result = subprocess.run(
        [_tool("govc"), *args], env=sim.govc_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"govc {' '.join(args)}: {result.stderr}"
    return result.stdout


def govc_json(sim: vcsim.Simulator, command: str, *args: str) -> Any:
    return json.loads(govc(sim, command, "-json", *args))


def collect(sim: vcsim.Simulator, path: str, *props: str) -> dict[str, Any]:
    """Property values of one managed object (govc object.collect); arrays come unwrapped."""

    def unwrap(value: Any) -> Any:
        return value["_value"] if isinstance(value, dict) and "_value" in value else value

    return {p["name"]: unwrap(p.get("val")) for p in govc_json(sim, "object.collect", path, *props)}


@pytest.fixture(scope="session")
def terraform_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of terraform/ plus the test roots, so init never writes into the repository."""
    tree = tmp_path_factory.mktemp("terraform") / "terraform"
    shutil.copytree(ROOT / "terraform", tree, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    shutil.copytree(Path(__file__).parent / "fixtures", tree / "fixtures")
    return tree


def tofu(workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(TOOLS / "tofurc"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [_tool("tofu"), args[0], "-no-color", *args[1:]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tofu_ok(workdir: Path, *args: str) -> str:
    result = tofu(workdir, *args)
    assert result.returncode == 0, f"tofu {' '.join(args)} in {workdir}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def simulator_vars(sim: vcsim.Simulator) -> list[str]:
    return ["-var", f"vsphere_server={sim.address}"]
