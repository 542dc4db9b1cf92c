output "id" {
  description = "VM UUID (the provider's resource ID)."
  value       = vsphere_virtual_machine.this.id
}

output "moid" {
  description = "VM managed object ID."
  value       = vsphere_virtual_machine.this.moid
}

output "name" {
  description = "VM name."
  value       = vsphere_virtual_machine.this.name
}

output "hostname" {
  description = "Guest hostname set through cloud-init."
  value       = local.hostname
}

output "default_ip_address" {
  description = "The guest's primary IP (empty until VMware Tools reports one)."
  value       = vsphere_virtual_machine.this.default_ip_address
}

output "host_system_id" {
  description = "ESXi host the VM is pinned to."
  value       = data.vsphere_host.this.id
}

output "gpu_pci_ids" {
  description = "Host PCI IDs passed through to the VM."
  value       = local.gpu_pci_ids
}

output "mmio_size_gb" {
  description = "pciPassthru.64bitMMIOSizeGB applied (0 without GPUs)."
  value       = local.mmio_size_gb
}
