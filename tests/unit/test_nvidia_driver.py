"""nvidia_driver decisions, driven by facts on the controller: reboot only when the loaded module is
not the installed driver (never the controller), Secure Boot preflight, GPU detection from sysfs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ansible_playbook, load_file_module

PLAYBOOK = "tests/playbooks/nvidia_driver_decisions.yml"
REBOOT_TASK = "Reboot to load driver"


def _decide(tmp_path: Path, decision: str, **facts: str) -> dict:
    result_file = tmp_path / "result.json"
    extra = [
        f"decision={decision}",
        f"result_file={result_file}",
        f"__nvidia_driver_fact_file={tmp_path}/facts.d/nvidia_driver.fact",
    ]
    extra += [f"{key}={value}" for key, value in facts.items()]
    args = [arg for pair in (("-e", e) for e in extra) for arg in pair]
    run = ansible_playbook(PLAYBOOK, *args, inventory="localhost,", local=True)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(result_file.read_text())


def test_no_reboot_when_loaded_matches_installed(tmp_path):
    # Even where rebooting is allowed (not the controller), matching versions trigger nothing.
    out = _decide(
        tmp_path, "reboot", installed="580.95.05", loaded="580.95.05", __nvidia_driver_is_controller="false"
    )
    assert out["reboot_required"] is False
    assert out["reboot_reason"] == ""
    assert out["reboot_pending"] is False
    assert out["failed_task"] == ""


def test_reboot_requested_when_loaded_differs(tmp_path):
    out = _decide(
        tmp_path, "reboot", installed="580.95.05", loaded="570.172.08", __nvidia_driver_is_controller="false"
    )
    assert out["reboot_required"] is True
    assert "570.172.08" in out["reboot_reason"]
    assert "580.95.05" in out["reboot_reason"]
    # The reboot task ran: Ansible's reboot action refuses the local connection of this test, which is
    # how a requested reboot shows here without rebooting anything.
    assert out["failed_task"].startswith(REBOOT_TASK)
    assert "would reboot the control node" in out["failed_msg"]


def test_reboot_requested_when_nouveau_holds_the_gpu(tmp_path):
    out = _decide(tmp_path, "reboot", installed="535.261.03", loaded="", nouveau="true")
    assert out["reboot_required"] is True
    assert "nouveau" in out["reboot_reason"]


def test_nothing_installed_needs_no_reboot(tmp_path):
    out = _decide(tmp_path, "reboot", installed="", loaded="")
    assert out["reboot_required"] is False


def test_controller_is_never_rebooted(tmp_path):
    out = _decide(tmp_path, "reboot", installed="580.95.05", loaded="570.172.08")
    assert out["reboot_required"] is True
    assert out["reboot_pending"] is True
    assert out["failed_task"] == ""
    state = json.loads((tmp_path / "facts.d/nvidia_driver.fact").read_text())
    assert state["reboot_pending"] is True
    assert state["loaded_version"] == "570.172.08"


def test_secure_boot_without_signing_fails_with_the_fix(tmp_path):
    out = _decide(tmp_path, "secure_boot", sb_enabled="true", sb_signing="false")
    assert out["failed_task"] == "Refuse to install an unsigned module under Secure Boot"
    assert "nvidia_driver_secure_boot_signing" in out["failed_msg"]
    assert "mokutil --import" in out["failed_msg"]


@pytest.mark.parametrize(("enabled", "signing"), [("false", "false"), ("true", "true")])
def test_secure_boot_passes_when_off_or_signed(tmp_path, enabled, signing):
    out = _decide(tmp_path, "secure_boot", sb_enabled=enabled, sb_signing=signing)
    assert out["failed_task"] == ""


def _gpu_module():
    return load_file_module("roles/nvidia_driver/library/nvidia_pci_gpus.py")


def _device(root: Path, address: str, vendor: str, device: str, pci_class: str, driver: str = "") -> None:
    path = root / address
    path.mkdir(parents=True)
    (path / "vendor").write_text(vendor + "\n")
    (path / "device").write_text(device + "\n")
    (path / "class").write_text(pci_class + "\n")
    if driver:
        (root.parent / "drivers" / driver).mkdir(parents=True, exist_ok=True)
        (path / "driver").symlink_to(root.parent / "drivers" / driver)


def test_gpu_detection_keeps_nvidia_display_functions_only(tmp_path):
    devices = tmp_path / "devices"
    _device(devices, "0000:3b:00.0", "0x10de", "0x26b9", "0x030200", driver="nvidia")  # L40S, 3D controller
    _device(devices, "0000:3b:00.1", "0x10de", "0x22ba", "0x040300")  # the card's HDMI audio function
    _device(devices, "0000:00:0f.0", "0x15ad", "0x0405", "0x030000")  # VMware SVGA
    _device(devices, "0000:af:00.0", "0x10de", "0x2330", "0x030200")  # H100, no driver bound yet
    gpus = _gpu_module().scan(str(devices))
    assert gpus == [
        {"address": "0000:3b:00.0", "device_id": "0x26b9", "pci_class": "0x030200", "driver": "nvidia"},
        {"address": "0000:af:00.0", "device_id": "0x2330", "pci_class": "0x030200", "driver": ""},
    ]


def test_gpu_detection_without_sysfs_finds_nothing(tmp_path):
    assert _gpu_module().scan(str(tmp_path / "missing")) == []


reboot_rule = load_file_module("roles/nvidia_driver/filter_plugins/nvidia_driver_reboot.py")


@pytest.mark.parametrize(
    ("installed", "loaded", "nouveau", "modprobe", "reason"),
    [
        ("", "", False, "", ""),
        ("", "570.172.08", False, "", ""),
        ("580.95.05", "580.95.05", False, "", ""),
        (" 580.95.05\n", "580.95.05", "false", "", ""),
        (
            "580.95.05",
            "570.172.08",
            False,
            "",
            "the loaded nvidia module is 570.172.08 but 580.95.05 is installed",
        ),
        ("580.95.05", "", False, "", "the nvidia module is not loaded (driver 580.95.05 installed)"),
        (
            "580.95.05",
            "",
            False,
            "Key was rejected",
            "not loaded (driver 580.95.05 installed: Key was rejected)",
        ),
        ("535.261.03", "", "true", "", "nouveau is loaded and holds the GPU (driver 535.261.03 installed"),
        ("535.261.03", "535.261.03", True, "", "nouveau is loaded"),
    ],
)
def test_reboot_rule(installed, loaded, nouveau, modprobe, reason):
    got = reboot_rule.nvidia_driver_reboot_reason(installed, loaded, nouveau, modprobe)
    assert (reason in got) if reason else got == ""
