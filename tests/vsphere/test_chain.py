"""The whole provisioning chain: `tofu apply` of the gpu-cluster example against vcsim-gpu writes the
inventory; its hosts are mapped onto sandbox containers (same names, docker connection, the sandbox's
group_vars); site.yml converges them and verify.yml gets a completion through the gateway."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from llm_onprem import paths
from tests.conftest import ROOT, ansible_playbook, recap
from tests.support.vsphere import tfvars_file, tofu_ok

pytestmark = pytest.mark.e2e
CLI = str(Path(sys.executable).parent / "llm-onprem")


def _harness(*args: str) -> None:
    subprocess.run([CLI, *args], check=True, timeout=600)


@pytest.fixture(scope="module")
def generated_inventory(simulator, terraform_tree, tmp_path_factory):
    inventory = tmp_path_factory.mktemp("chain") / "inventory"
    inventory.mkdir()
    # The sandbox's mirror URL, model catalog and backend knobs; only hosts.yml comes from tofu.
    (inventory / "group_vars").symlink_to(ROOT / "inventories/sandbox/group_vars")
    workdir = terraform_tree / "examples/gpu-cluster"
    tfvars = tfvars_file(
        simulator,
        tmp_path_factory.mktemp("chain-vars") / "chain.tfvars.json",
        inventory / "hosts.yml",
        name_prefix="chain",
        gpu_hosts=["DC0_C0_H1"],
        gateway_host="DC0_C0_H0",
        llm_backend="llama_cpp",
        # The sandbox's group_vars run the gateway in DB mode, its database on the gateway.
        database_on_gateway=True,
        # Map the VMs onto sandbox containers: same names, Docker connection, no Docker-in-Docker.
        inventory_vars={
            "ansible_connection": "community.docker.docker",
            "ansible_user": "root",
            "ansible_python_interpreter": "/usr/bin/python3",
            "llm_gpu_container_engine": "none",
        },
    )
    tofu_ok(workdir, "init")
    tofu_ok(workdir, "apply", "-auto-approve", f"-var-file={tfvars}", "-state=chain.tfstate")
    # Its own hosts only: the mirror and the network stay for whatever else uses them (a bare
    # `sandbox down` removes every harness container, the mirror included).
    own = ("--inventory", str(inventory))
    _harness("sandbox", "down", *own)
    _harness("sandbox", "up", *own, "--mirror", str(paths.mirror_dir()))
    yield inventory
    _harness("sandbox", "down", *own)
    tofu_ok(workdir, "destroy", "-auto-approve", f"-var-file={tfvars}", "-state=chain.tfstate")


def test_site_then_verify_on_the_generated_inventory(generated_inventory):
    site = ansible_playbook("playbooks/site.yml", inventory=generated_inventory, timeout=1800)
    assert site.returncode == 0, site.stdout[-4000:]
    hosts = recap(site.stdout)
    assert set(hosts) == {"chain-gpu-1", "chain-gw"}
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values())
    # The GPU play ran on the GPU node and skipped the driver there: no NVIDIA GPU in a container.
    assert "nvidia_driver: no NVIDIA GPU on chain-gpu-1" in " ".join(site.stdout.split())

    verify = ansible_playbook("playbooks/verify.yml", inventory=generated_inventory, timeout=600)
    assert verify.returncode == 0, verify.stdout[-4000:]
    report = json.loads((generated_inventory / ".state/verify.json").read_text())
    assert report["completion"].strip()
