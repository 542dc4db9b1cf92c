#!/usr/bin/python
"""Ansible module: enable PCI passthrough for NVIDIA GPUs on an ESXi host (pyvmomi)."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vsphere_gpu import (
    CONNECTION_ARGS,
    HAS_PYVMOMI,
    connect,
    disconnect,
    find,
    is_nvidia_gpu,
    vim,
)

DOCUMENTATION = r"""
module: vsphere_host_gpu_passthrough
short_description: Enable PCI passthrough for the NVIDIA GPUs of an ESXi host
description:
  - Finds the host in vCenter, selects its NVIDIA display functions (or the given PCI IDs) and turns
    passthrough on for those not yet enabled (HostPciPassthruSystem.UpdatePassthruConfig).
  - Idempotent; check mode reports what would change. ESXi activates passthrough at the host's next
    reboot; C(reboot_required) says so, the module does not reboot hosts.
options:
  hostname: {description: vCenter address., type: str, required: true}
  username: {description: vCenter user., type: str, required: true}
  password: {description: vCenter password., type: str, required: true}
  port: {description: vCenter port., type: int, default: 443}
  validate_certs: {description: Verify vCenter's certificate., type: bool, default: true}
  esxi_hostname: {description: Name of the host in vCenter., type: str, required: true}
  pci_ids:
    description: PCI IDs to enable; empty selects every NVIDIA display function of the host.
    type: list
    elements: str
    default: []
author: llm-onprem
"""

RETURN = r"""
pci_ids: {description: The devices selected., returned: always, type: list}
enabled: {description: The devices this run enabled., returned: always, type: list}
reboot_required: {description: A selected device is enabled, not yet active., returned: always, type: bool}
"""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGS,
            "esxi_hostname": {"type": "str", "required": True},
            "pci_ids": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    if not HAS_PYVMOMI:
        module.fail_json(
            msg="vsphere_host_gpu_passthrough needs pyvmomi on the controller (pip install pyvmomi)"
        )
    si = connect(module.params)
    try:
        host = find(si, vim.HostSystem, module.params["esxi_hostname"])
        if host is None:
            module.fail_json(msg=f"ESXi host {module.params['esxi_hostname']} not found in vCenter")
        info = {i.id: i for i in host.config.pciPassthruInfo or []}
        wanted = module.params["pci_ids"] or [d.id for d in host.hardware.pciDevice if is_nvidia_gpu(d)]
        if not wanted:
            module.fail_json(msg=f"no NVIDIA GPU (PCI vendor 0x10de, display class) on host {host.name}")
        unusable = [i for i in wanted if i not in info or not info[i].passthruCapable]
        if unusable:
            module.fail_json(
                msg=f"PCI device(s) {', '.join(unusable)} on {host.name} are not passthrough-capable "
                "(check VT-d / AMD-Vi and 'Above 4G decoding' in the host's firmware)"
            )
        to_enable = [i for i in wanted if not info[i].passthruEnabled]
        if to_enable and not module.check_mode:
            host.configManager.pciPassthruSystem.UpdatePassthruConfig(
                [vim.host.PciPassthruConfig(id=i, passthruEnabled=True) for i in to_enable]
            )
            info = {i.id: i for i in host.config.pciPassthruInfo or []}
        reboot_required = any(not info[i].passthruActive for i in wanted)
        module.exit_json(
            changed=bool(to_enable), pci_ids=wanted, enabled=to_enable, reboot_required=reboot_required
        )
    finally:
        disconnect(si)


if __name__ == "__main__":
    main()
