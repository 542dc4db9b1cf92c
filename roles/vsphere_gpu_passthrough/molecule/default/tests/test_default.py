"""vsphere_gpu_passthrough against vcsim-gpu: what vCenter now says about the host and the VM."""

import json
import os
from pathlib import Path

PORT = 18998
GOVC = (
    Path(os.environ.get("LLM_ONPREM_VSPHERE_TOOLS", Path.home() / ".cache/llm-onprem/vsphere-tools"))
    / "bin/govc"
)


def _collect(host, path, *props):
    env = f"GOVC_URL=https://user:pass@127.0.0.1:{PORT}/sdk GOVC_INSECURE=1"
    out = host.check_output(f"{env} {GOVC} object.collect -json {path} {' '.join(props)}")
    values = {}
    for p in json.loads(out):
        val = p.get("val")
        values[p["name"]] = val["_value"] if isinstance(val, dict) and "_value" in val else val
    return values


def test_host_gpus_passthrough_enabled(host):
    info = _collect(host, "/DC0/host/DC0_H0/DC0_H0", "config.pciPassthruInfo")["config.pciPassthruInfo"]
    assert [i["passthruEnabled"] for i in info] == [True, True]


def test_vm_has_the_host_gpus_reserved_memory_and_mmio(host):
    hw = _collect(host, "/DC0/host/DC0_H0/DC0_H0", "hardware.systemInfo.uuid")
    config = _collect(host, "/DC0/vm/molecule-gpu-vm", "config")["config"]
    backings = [d["backing"] for d in config["hardware"]["device"] if "systemId" in (d.get("backing") or {})]
    assert sorted(b["id"] for b in backings) == ["0000:3b:00.0", "0000:7b:00.0"]
    assert {b["systemId"] for b in backings} == {hw["hardware.systemInfo.uuid"]}
    assert config["memoryAllocation"]["reservation"] == 4096
    assert config["memoryReservationLockedToMax"] is True
    extra = {o["key"]: str(o["value"]) for o in config["extraConfig"]}
    assert extra["pciPassthru.use64bitMMIO"] == "TRUE"
    assert extra["pciPassthru.64bitMMIOSizeGB"] == "256"  # 2 x 48 GB -> 128 -> 256
