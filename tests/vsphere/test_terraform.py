"""terraform/: fmt and validate, then the gpu-cluster example applied for real against vcsim-gpu and
checked through govc (PCI passthrough device, reservation, both MMIO keys, host pinning, EFI,
cloud-init), its inventory parsed by ansible-inventory, destroyed; invalid inputs rejected."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_onprem import vcsim
from tests.conftest import ROOT
from tests.support.vsphere import GPU_HOSTS, collect, govc, simulator_vars, tfvars_file, tofu, tofu_ok

HOST_PATH = "/DC0/host/DC0_C0/{}"
NVIDIA = 0x10DE


def test_fmt_is_clean():
    result = tofu(ROOT, "fmt", "-check", "-recursive", "-diff", "terraform")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "root",
    ["modules/vsphere_gpu_vm", "modules/vsphere_gpu_vm/examples/single-gpu-vm", "examples/gpu-cluster"],
)
def test_validate(terraform_tree, root):
    tofu_ok(terraform_tree / root, "init", "-backend=false")
    tofu_ok(terraform_tree / root, "validate")


@pytest.fixture(scope="module")
def cluster(simulator, terraform_tree, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The example applied to vcsim-gpu; destroyed afterwards (the destroy is asserted too)."""
    workdir = terraform_tree / "examples/gpu-cluster"
    inventory = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    tfvars = tfvars_file(simulator, tmp_path_factory.mktemp("vars") / "vcsim.tfvars.json", inventory)
    tofu_ok(workdir, "init")
    tofu_ok(workdir, "apply", "-auto-approve", f"-var-file={tfvars}")
    # Provider 1.26 (the newest the Go proxy serves) does not apply pci_device_id while cloning
    # (hashicorp/terraform-provider-vsphere#1625, fixed in 2.x): the second apply adds the devices.
    tofu_ok(workdir, "apply", "-auto-approve", f"-var-file={tfvars}")
    outputs = json.loads(tofu_ok(workdir, "output", "-json"))
    yield {"workdir": workdir, "tfvars": tfvars, "inventory": inventory, "outputs": outputs}
    tofu_ok(workdir, "destroy", "-auto-approve", f"-var-file={tfvars}")
    remaining = govc(simulator, "find", "/DC0/vm", "-type", "m", "-name", "llm-*")
    assert remaining.strip() == "", f"VMs left after destroy: {remaining}"


def test_converged_plan_is_empty(cluster):
    result = tofu(cluster["workdir"], "plan", "-detailed-exitcode", f"-var-file={cluster['tfvars']}")
    assert result.returncode == 0, result.stdout + result.stderr


def _vm(sim: vcsim.Simulator, name: str) -> dict[str, Any]:
    return collect(sim, f"/DC0/vm/{name}", "config", "runtime.host")


def _extra(config: dict[str, Any]) -> dict[str, str]:
    return {o["key"]: str(o["value"]) for o in config.get("extraConfig") or []}


def _passthrough_backings(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [d["backing"] for d in config["hardware"]["device"] if "systemId" in (d.get("backing") or {})]


@pytest.mark.parametrize("vm_name", sorted(GPU_HOSTS))
def test_gpu_node_has_its_host_gpu_and_passthrough_settings(simulator, cluster, vm_name):
    vm = _vm(simulator, vm_name)
    config = vm["config"]
    host_path = HOST_PATH.format(GPU_HOSTS[vm_name])
    host = collect(simulator, host_path, "hardware.systemInfo.uuid", "hardware.pciDevice")
    host_ref = govc(
        simulator, "find", "-i", "/DC0/host/DC0_C0", "-type", "h", "-name", GPU_HOSTS[vm_name]
    ).strip()

    # Pinned to its GPU host, EFI, no hot-add.
    assert f"{vm['runtime.host']['type']}:{vm['runtime.host']['value']}" == host_ref
    assert config["firmware"] == "efi"
    assert config["cpuHotAddEnabled"] is False
    assert config["memoryHotAddEnabled"] is False
    # All guest memory reserved.
    assert config["hardware"]["memoryMB"] == 8192
    assert config["memoryAllocation"]["reservation"] == 8192
    # One NVIDIA GPU of that host, with that host's systemId.
    backings = _passthrough_backings(config)
    gpu_ids = [d["id"] for d in host["hardware.pciDevice"] if d["vendorId"] & 0xFFFF == NVIDIA]
    assert len(backings) == 1
    assert backings[0]["id"] in gpu_ids
    assert backings[0]["vendorId"] & 0xFFFF == NVIDIA
    assert backings[0]["systemId"] == host["hardware.systemInfo.uuid"]
    # 64-bit MMIO: 1 x 80 GB -> 128 -> 256.
    extra = _extra(config)
    assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
    assert extra["pciPassthru.64bitMMIOSizeGB"] == "256"
    assert cluster["outputs"]["gpu_nodes"]["value"][vm_name]["gpu_pci_ids"] == [backings[0]["id"]]


def test_cloud_init_reaches_the_guest_through_guestinfo(simulator, cluster):
    extra = _extra(_vm(simulator, "llm-gpu-1")["config"])
    assert extra["guestinfo.userdata.encoding"] == "base64"
    userdata = base64.b64decode(extra["guestinfo.userdata"]).decode()
    assert userdata.startswith("#cloud-config\n")
    assert "hostname: llm-gpu-1" in userdata
    assert "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyOnly" in userdata
    metadata = json.loads(base64.b64decode(extra["guestinfo.metadata"]))
    assert metadata == {"instance-id": "llm-gpu-1", "local-hostname": "llm-gpu-1"}


def test_gateway_has_no_gpu(simulator, cluster):
    config = _vm(simulator, "llm-gw")["config"]
    assert _passthrough_backings(config) == []
    assert not any(key.startswith("pciPassthru") for key in _extra(config))


def test_generated_inventory_has_the_site_groups(cluster):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(cluster["inventory"]), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    inventory = json.loads(result.stdout)
    assert sorted(inventory["llm_backends"]["hosts"]) == sorted(GPU_HOSTS)
    assert sorted(inventory["nvidia_gpu"]["hosts"]) == sorted(GPU_HOSTS)
    assert inventory["llm_gateway"]["hosts"] == ["llm-gw"]
    assert "llm_state" not in inventory  # database_on_gateway defaults to false
    hostvars = inventory["_meta"]["hostvars"]
    for name in GPU_HOSTS:
        assert hostvars[name]["llm_backend"] == "vllm"
        assert hostvars[name]["nvidia_driver_expected_gpu_count"] == 1
        assert hostvars[name]["ansible_user"] == "ansible"


def _plan_error(simulator, terraform_tree, *var_args: str) -> str:
    workdir = terraform_tree / "fixtures/single_vm"
    tofu_ok(workdir, "init")
    result = tofu(workdir, "plan", *simulator_vars(simulator), *var_args)
    assert result.returncode != 0, result.stdout
    return " ".join(re.sub(r"[│╷╵]", " ", result.stderr + result.stdout).split())


def test_bios_firmware_with_gpus_is_rejected(simulator, terraform_tree):
    error = _plan_error(simulator, terraform_tree, "-var", "firmware=bios")
    assert "firmware must be efi when gpu_count > 0" in error


def test_reservation_below_memory_is_rejected(simulator, terraform_tree):
    error = _plan_error(simulator, terraform_tree, "-var", "memory_reservation_mb=4096")
    assert "memory_reservation_mb must equal memory_mb when the VM has GPUs" in error


def test_no_gpu_match_is_rejected(simulator, terraform_tree):
    error = _plan_error(simulator, terraform_tree, "-var", "gpu_name_regex=H200")
    assert 'No NVIDIA GPU matched on host DC0_C0_H0: vendor_id 10de, name_regex "H200" found 0 of 1' in error


def test_several_gpus_need_explicit_ids(simulator, terraform_tree):
    error = _plan_error(simulator, terraform_tree, "-var", "gpu_count=2")
    assert "gpu_pci_ids must list exactly gpu_count IDs" in error
