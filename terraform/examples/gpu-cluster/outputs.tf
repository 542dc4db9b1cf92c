output "gpu_nodes" {
  description = "GPU node VMs: name, address, passed-through PCI IDs, MMIO window."
  value = { for name, vm in module.gpu_node : name => {
    address      = vm.default_ip_address
    host         = vm.host_system_id
    gpu_pci_ids  = vm.gpu_pci_ids
    mmio_size_gb = vm.mmio_size_gb
  } }
}

output "gateway" {
  description = "Gateway VM name and address."
  value       = { name = module.gateway.name, address = module.gateway.default_ip_address }
}

output "inventory_path" {
  description = "The Ansible inventory written for playbooks/site.yml."
  value       = local_file.inventory.filename
}
