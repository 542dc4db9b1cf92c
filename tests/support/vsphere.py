"""Helpers of the vSphere tests: govc and OpenTofu from scripts/build-vsphere-tools.sh, property
collection, the gpu-cluster example's variables against vcsim-gpu."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from llm_onprem import vcsim

TOOLS = vcsim.tools_dir()


def _tool(name: str) -> str:
    path = TOOLS / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make vsphere-tools` first")
    return str(path)


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


GPU_HOSTS = {"llm-gpu-1": "DC0_C0_H0", "llm-gpu-2": "DC0_C0_H1"}


def tfvars_file(sim: vcsim.Simulator, path: Path, inventory: Path, **extra: Any) -> Path:
    values = {
        "vsphere_server": sim.address,
        "vsphere_user": sim.username,
        "vsphere_password": sim.password,
        "allow_unverified_ssl": True,
        "datacenter": "DC0",
        "cluster": "DC0_C0",
        "datastore": "LocalDS_0",
        "network": "VM Network",
        "template": "DC0_C0_RP0_VM0",
        "gpu_hosts": list(GPU_HOSTS.values()),
        "gateway_host": "DC0_C0_H0",
        "gpu_name_regex": "A100",
        "gpu_memory_gb": 80,
        "gpu_node_cpus": 4,
        "gpu_node_memory_mb": 8192,
        "gateway_memory_mb": 2048,
        "ssh_authorized_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyOnly test@llm-onprem"],
        "inventory_path": str(inventory),
        "wait_for_guest_net_timeout": 0,
        **extra,
    }
    path.write_text(json.dumps(values))
    return path
