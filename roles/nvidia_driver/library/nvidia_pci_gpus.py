#!/usr/bin/python
"""Ansible module: NVIDIA GPUs on the PCI bus, read from sysfs (no lspci needed)."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: nvidia_pci_gpus
short_description: List NVIDIA GPUs on the PCI bus
description:
  - Reads /sys/bus/pci/devices and returns the functions whose vendor is NVIDIA (0x10de) and whose
    class is a display controller (0x03xxxx), with their device id and bound kernel driver. The audio
    and USB functions of the same cards are left out.
options:
  sysfs_pci_devices:
    description: Directory to scan.
    type: path
    default: /sys/bus/pci/devices
author: llm-onprem
"""

RETURN = r"""
ansible_facts:
  description: nvidia_pci_gpus, a list of {address, device_id, pci_class, driver}.
  returned: always
  type: dict
"""

NVIDIA_VENDOR = "0x10de"
DISPLAY_CLASS_PREFIX = "0x03"


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip().lower()
    except OSError:
        return ""


def scan(devices_dir: str) -> list[dict[str, str]]:
    """NVIDIA display-class functions under ``devices_dir``, sorted by PCI address."""
    gpus = []
    try:
        addresses = sorted(os.listdir(devices_dir))
    except OSError:
        return []
    for address in addresses:
        device = os.path.join(devices_dir, address)
        if _read(os.path.join(device, "vendor")) != NVIDIA_VENDOR:
            continue
        pci_class = _read(os.path.join(device, "class"))
        if not pci_class.startswith(DISPLAY_CLASS_PREFIX):
            continue
        driver_link = os.path.join(device, "driver")
        driver = os.path.basename(os.readlink(driver_link)) if os.path.islink(driver_link) else ""
        gpus.append(
            {
                "address": address,
                "device_id": _read(os.path.join(device, "device")),
                "pci_class": pci_class,
                "driver": driver,
            }
        )
    return gpus


def main() -> None:
    module = AnsibleModule(
        argument_spec={"sysfs_pci_devices": {"type": "path", "default": "/sys/bus/pci/devices"}},
        supports_check_mode=True,
    )
    module.exit_json(
        changed=False, ansible_facts={"nvidia_pci_gpus": scan(module.params["sysfs_pci_devices"])}
    )


if __name__ == "__main__":
    main()
