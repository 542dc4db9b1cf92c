"""vsphere_gpu_passthrough role through its playbook against vcsim-gpu: on the standalone host DC0_H0
(GPUs passthrough-capable but disabled) the first run changes the host and the VM, a second run changes
nothing; BIOS and running VMs are refused. What vCenter then reports about the host and the VM is
checked by the role's Molecule scenario (molecule/default/tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_onprem import vcsim
from tests.conftest import ansible_playbook, recap
from tests.support.vsphere import collect, govc

HOST = "DC0_H0"
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
