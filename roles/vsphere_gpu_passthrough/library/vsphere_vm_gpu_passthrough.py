#!/usr/bin/python
"""Ansible module: give a powered-off VM its NVIDIA GPUs by PCI passthrough (pyvmomi)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vsphere_gpu import (
    CONNECTION_ARGS,
    HAS_PYVMOMI,
    connect,
    disconnect,
    find,
    is_nvidia_gpu,
    mmio_size_gb,
    vim,
    wait,
)

DOCUMENTATION = r"""
module: vsphere_vm_gpu_passthrough
short_description: Add NVIDIA GPUs to a VM by PCI passthrough, with the settings passthrough needs
description:
  - Adds a VirtualPCIPassthrough device for each selected GPU of the VM's host (backing id, device id,
    vendor id and the host's systemId from the environment browser), reserves all guest memory
    (locked to the maximum), turns CPU/memory hot-add off and sets pciPassthru.use64bitMMIO and
    pciPassthru.64bitMMIOSizeGB.
  - Only what differs is changed; nothing changes on a second run. Devices already present are kept.
  - Fails with the reason when the VM is not EFI, is powered on while a change is needed, or a GPU is
    not passthrough-active on its host.
options:
  hostname: {description: vCenter address., type: str, required: true}
  username: {description: vCenter user., type: str, required: true}
  password: {description: vCenter password., type: str, required: true}
  port: {description: vCenter port., type: int, default: 443}
  validate_certs: {description: Verify vCenter's certificate., type: bool, default: true}
  name: {description: VM name., type: str, required: true}
  pci_ids:
    description: Host PCI IDs; empty takes every passthrough-active NVIDIA GPU of the VM's host.
    type: list
    elements: str
    default: []
  gpu_memory_gb: {description: Memory of one GPU in GB (sizes the MMIO window)., type: float, default: 80}
  mmio_size_gb: {description: Override of pciPassthru.64bitMMIOSizeGB., type: int}
author: llm-onprem
"""

RETURN = r"""
pci_ids: {description: The GPUs the VM has., returned: always, type: list}
added: {description: The GPUs this run added., returned: always, type: list}
mmio_size_gb: {description: The MMIO window set., returned: always, type: int}
"""


def passthrough_targets(vm: Any) -> dict[str, Any]:
    """Passthrough-active devices of the VM's host, by PCI ID (what vCenter offers for this VM)."""
    browser = vm.environmentBrowser
    target = browser.QueryConfigTarget(host=vm.runtime.host)
    return {
        p.pciDevice.id: p for p in (target.pciPassthrough or []) if isinstance(p, vim.vm.PciPassthroughInfo)
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            **CONNECTION_ARGS,
            "name": {"type": "str", "required": True},
            "pci_ids": {"type": "list", "elements": "str", "default": []},
            "gpu_memory_gb": {"type": "float", "default": 80},
            "mmio_size_gb": {"type": "int"},
        },
        supports_check_mode=True,
    )
    if not HAS_PYVMOMI:
        module.fail_json(
            msg="vsphere_vm_gpu_passthrough needs pyvmomi on the controller (pip install pyvmomi)"
        )
    p = module.params
    si = connect(p)
    try:
        vm = find(si, vim.VirtualMachine, p["name"])
        if vm is None:
            module.fail_json(msg=f"VM {p['name']} not found in vCenter")
        if vm.config.firmware != "efi":
            module.fail_json(
                msg=f"VM {vm.name} uses {vm.config.firmware} firmware: GPUs need EFI (64-bit MMIO). "
                "Changing the firmware of an installed guest breaks its boot: rebuild it from EFI."
            )
        targets = passthrough_targets(vm)
        wanted = p["pci_ids"] or sorted(i for i, t in targets.items() if is_nvidia_gpu(t.pciDevice))
        if not wanted:
            module.fail_json(
                msg=f"no passthrough-active NVIDIA GPU on host {vm.runtime.host.name} for VM {vm.name}"
            )
        inactive = [i for i in wanted if i not in targets]
        if inactive:
            module.fail_json(
                msg=f"PCI device(s) {', '.join(inactive)} are not passthrough-active on host "
                f"{vm.runtime.host.name}: enable passthrough (vsphere_host_gpu_passthrough), "
                "then reboot the host"
            )
        present = {
            d.backing.id
            for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualPCIPassthrough)
            and isinstance(d.backing, vim.vm.device.VirtualPCIPassthrough.DeviceBackingInfo)
        }
        to_add = [i for i in wanted if i not in present]
        mmio = p["mmio_size_gb"] or mmio_size_gb(len(wanted), p["gpu_memory_gb"])
        settings = {"pciPassthru.use64bitMMIO": "TRUE", "pciPassthru.64bitMMIOSizeGB": str(mmio)}
        current = {o.key: str(o.value) for o in vm.config.extraConfig or []}
        settings_change = {k: v for k, v in settings.items() if current.get(k) != v}
        memory = vm.config.hardware.memoryMB
        reserve = (
            vm.config.memoryAllocation.reservation or 0
        ) != memory or not vm.config.memoryReservationLockedToMax
        hot_add = bool(vm.config.cpuHotAddEnabled) or bool(vm.config.memoryHotAddEnabled)
        changed = bool(to_add or settings_change or reserve or hot_add)
        if changed and vm.runtime.powerState != vim.VirtualMachinePowerState.poweredOff:
            module.fail_json(
                msg=f"VM {vm.name} is {vm.runtime.powerState}: power it off to add GPUs and reserve memory"
            )
        if changed and not module.check_mode:
            spec = vim.vm.ConfigSpec()
            spec.deviceChange = [
                vim.vm.device.VirtualDeviceSpec(
                    operation=vim.vm.device.VirtualDeviceSpec.Operation.add,
                    device=vim.vm.device.VirtualPCIPassthrough(
                        key=-100 - n,
                        backing=vim.vm.device.VirtualPCIPassthrough.DeviceBackingInfo(
                            id=targets[i].pciDevice.id,
                            deviceId=format(targets[i].pciDevice.deviceId & 0xFFFF, "x"),
                            systemId=targets[i].systemId,
                            vendorId=targets[i].pciDevice.vendorId,
                            deviceName=targets[i].pciDevice.deviceName,
                        ),
                    ),
                )
                for n, i in enumerate(to_add)
            ]
            spec.memoryAllocation = vim.ResourceAllocationInfo(reservation=memory)
            spec.memoryReservationLockedToMax = True
            spec.cpuHotAddEnabled = False
            spec.memoryHotAddEnabled = False
            spec.extraConfig = [vim.option.OptionValue(key=k, value=v) for k, v in settings_change.items()]
            wait(vm.ReconfigVM_Task(spec=spec))
        module.exit_json(changed=changed, pci_ids=wanted, added=to_add, mmio_size_gb=mmio)
    finally:
        disconnect(si)


if __name__ == "__main__":
    main()
