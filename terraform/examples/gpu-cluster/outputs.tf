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
  description = "The first gateway VM: name and address."
  value       = { name = module.gateway["0"].name, address = module.gateway["0"].default_ip_address }
}

output "gateways" {
  description = "Every gateway VM: name => address."
  value       = { for key, vm in module.gateway : vm.name => vm.default_ip_address }
}

output "state" {
  description = "The state VM (PostgreSQL and Redis of the gateways), or null without state_vm."
  value       = one([for vm in local.state : { name = vm.name, address = module.service_vm[vm.name].default_ip_address }])
}

output "monitoring" {
  description = "The monitoring VM (Prometheus, Alertmanager, the probe), or null without monitoring_vm."
  value       = one([for vm in local.monitoring : { name = vm.name, address = module.service_vm[vm.name].default_ip_address }])
}

output "endpoint" {
  description = "Where clients call https://<endpoint>/v1: the load-balancer VM with ingress_vm, else the gateway."
  value       = var.ingress_vm ? local.ingress[0].address : local.gateways[0].address
}

output "inventory_path" {
  description = "The Ansible inventory written for playbooks/site.yml."
  value       = local_file.inventory.filename
}
