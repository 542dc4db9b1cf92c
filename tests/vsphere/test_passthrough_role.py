"""vsphere_gpu_passthrough role against vcsim-gpu: on the standalone host DC0_H0 (GPUs
passthrough-capable but disabled) it enables passthrough and gives a powered-off EFI VM both GPUs
with the settings passthrough needs; a second run changes nothing; BIOS and running VMs are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_onprem import vcsim
from tests.conftest import ansible_playbook, recap
from tests.vsphere.conftest import collect, govc

HOST = "DC0_H0"
HOST_PATH = f"/DC0/host/{HOST}/{HOST}"
PLAYBOOK = "playbooks/vsphere_gpu_passthrough.yml"


def _vm(sim: vcsim.Simulator, name: str, firmware: str = "efi", on: bool = False) -> None:
    pool = f"/DC0/host/{HOST}/Resources"
    flags = [
        "-firmware",
        firmware,
        "-host",
        HOST,
        "-m",
        "4096",
        "-c",
        "2",
        "-net",
        "VM Network",
        "-pool",
        pool,
    ]
    govc(sim, "vm.create", f"-on={str(on).lower()}", *flags, name)


def _run(sim: vcsim.Simulator, tmp_path: Path, vms: list[dict[str, Any]]):
    values = {
        "vsphere_gpu_passthrough_hostname": sim.address.split(":")[0],
        "vsphere_gpu_passthrough_port": int(sim.address.split(":")[1]),
        "vsphere_gpu_passthrough_username": sim.username,
        "vsphere_gpu_passthrough_password": sim.password,
        "vsphere_gpu_passthrough_validate_certs": False,
        "vsphere_gpu_passthrough_esxi_hosts": [{"name": HOST}],
        "vsphere_gpu_passthrough_vms": vms,
    }
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(values))
    return ansible_playbook(PLAYBOOK, "-e", f"@{extra}", inventory="localhost,", local=True, timeout=300)


@pytest.fixture(scope="module")
def converged(simulator, tmp_path_factory):
    _vm(simulator, "brownfield-gpu")
    tmp = tmp_path_factory.mktemp("role")
    first = _run(simulator, tmp, [{"name": "brownfield-gpu"}])
    second = _run(simulator, tmp, [{"name": "brownfield-gpu"}])
    return first, second


def test_converges_then_changes_nothing(converged):
    first, second = converged
    assert first.returncode == 0, first.stdout
    assert recap(first.stdout)["localhost"]["changed"] == 2  # host passthrough, then the VM
    assert second.returncode == 0, second.stdout
    assert recap(second.stdout)["localhost"]["changed"] == 0


def test_host_gpus_have_passthrough_enabled(simulator, converged):
    info = collect(simulator, HOST_PATH, "config.pciPassthruInfo")["config.pciPassthruInfo"]
    assert len(info) == 2
    assert all(i["passthruEnabled"] and i["passthruCapable"] for i in info)


def test_vm_has_both_gpus_and_the_passthrough_settings(simulator, converged):
    host = collect(simulator, HOST_PATH, "hardware.systemInfo.uuid", "hardware.pciDevice")
    gpu_ids = sorted(d["id"] for d in host["hardware.pciDevice"] if d["vendorId"] & 0xFFFF == 0x10DE)
    config = collect(simulator, "/DC0/vm/brownfield-gpu", "config")["config"]
    backings = [d["backing"] for d in config["hardware"]["device"] if "systemId" in (d.get("backing") or {})]
    assert sorted(b["id"] for b in backings) == gpu_ids
    assert {b["systemId"] for b in backings} == {host["hardware.systemInfo.uuid"]}
    assert {b["deviceId"] for b in backings} == {"20b5"}
    assert config["memoryAllocation"]["reservation"] == config["hardware"]["memoryMB"] == 4096
    assert config["memoryReservationLockedToMax"] is True
    assert config["cpuHotAddEnabled"] is False
    assert config["memoryHotAddEnabled"] is False
    extra = {o["key"]: str(o["value"]) for o in config["extraConfig"]}
    assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
    assert extra["pciPassthru.64bitMMIOSizeGB"] == "512"  # 2 x 80 GB -> 256 -> 512


def test_bios_vm_is_refused(simulator, converged, tmp_path):
    _vm(simulator, "brownfield-bios", firmware="bios")
    run = _run(simulator, tmp_path, [{"name": "brownfield-bios"}])
    assert run.returncode != 0
    assert "VM brownfield-bios uses bios firmware: GPUs need EFI" in " ".join(run.stdout.split())


def test_running_vm_is_refused(simulator, converged, tmp_path):
    _vm(simulator, "brownfield-running", on=True)
    run = _run(simulator, tmp_path, [{"name": "brownfield-running"}])
    assert run.returncode != 0
    assert "VM brownfield-running is poweredOn: power it off" in " ".join(run.stdout.split())
    config = collect(simulator, "/DC0/vm/brownfield-running", "config")["config"]
    assert not [d for d in config["hardware"]["device"] if "systemId" in (d.get("backing") or {})]
