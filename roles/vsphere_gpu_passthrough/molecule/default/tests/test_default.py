"""vsphere_gpu_passthrough against vcsim-gpu: what vCenter now says about the host and the VM."""

import os
from pathlib import Path

import pytest
from tests.support.vsphere import collect

from llm_onprem import vcsim

HOST_PATH = "/DC0/host/DC0_H0/DC0_H0"


@pytest.fixture(scope="module")
def simulator():
    return vcsim.from_env_file(Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "vcsim" / "vcsim.env")


def test_host_gpus_passthrough_enabled(simulator):
    info = collect(simulator, HOST_PATH, "config.pciPassthruInfo")["config.pciPassthruInfo"]
    assert len(info) == 2
    assert all(i["passthruEnabled"] and i["passthruCapable"] for i in info)


def test_vm_has_the_host_gpus_and_the_passthrough_settings(simulator):
    host = collect(simulator, HOST_PATH, "hardware.systemInfo.uuid", "hardware.pciDevice")
    gpu_ids = sorted(d["id"] for d in host["hardware.pciDevice"] if d["vendorId"] & 0xFFFF == 0x10DE)
    config = collect(simulator, "/DC0/vm/molecule-gpu-vm", "config")["config"]
    backings = [d["backing"] for d in config["hardware"]["device"] if "systemId" in (d.get("backing") or {})]
    assert sorted(b["id"] for b in backings) == gpu_ids == ["0000:3b:00.0", "0000:7b:00.0"]
    assert {b["systemId"] for b in backings} == {host["hardware.systemInfo.uuid"]}
    assert {b["deviceId"] for b in backings} == {"20b5"}
    assert config["memoryAllocation"]["reservation"] == config["hardware"]["memoryMB"] == 4096
    assert config["memoryReservationLockedToMax"] is True
    assert config["cpuHotAddEnabled"] is False
    assert config["memoryHotAddEnabled"] is False
    extra = {o["key"]: str(o["value"]) for o in config["extraConfig"]}
    assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
    assert extra["pciPassthru.64bitMMIOSizeGB"] == "256"  # 2 x 48 GB -> 128 -> 256
