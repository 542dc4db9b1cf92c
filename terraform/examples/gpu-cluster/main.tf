provider "vsphere" {
  vsphere_server       = var.vsphere_server
  user                 = var.vsphere_user
  password             = var.vsphere_password
  allow_unverified_ssl = var.allow_unverified_ssl
}

module "gpu_node" {
  source   = "../../modules/vsphere_gpu_vm"
  for_each = { for i, host in var.gpu_hosts : format("%s-gpu-%d", var.name_prefix, i + 1) => host }

  name       = each.key
  datacenter = var.datacenter
  cluster    = var.cluster
  host       = each.value
  datastore  = var.datastore
  network    = var.network
  template   = var.template

  num_cpus       = var.gpu_node_cpus
  memory_mb      = var.gpu_node_memory_mb
  gpu_count      = 1
  gpu_name_regex = var.gpu_name_regex
  gpu_memory_gb  = var.gpu_memory_gb

  ssh_user                   = var.ssh_user
  ssh_authorized_keys        = var.ssh_authorized_keys
  wait_for_guest_net_timeout = var.wait_for_guest_net_timeout
}

module "gateway" {
  source = "../../modules/vsphere_gpu_vm"

  name       = "${var.name_prefix}-gw"
  datacenter = var.datacenter
  cluster    = var.cluster
  host       = var.gateway_host
  datastore  = var.datastore
  network    = var.network
  template   = var.template

  num_cpus  = var.gateway_cpus
  memory_mb = var.gateway_memory_mb
  gpu_count = 0

  ssh_user                   = var.ssh_user
  ssh_authorized_keys        = var.ssh_authorized_keys
  wait_for_guest_net_timeout = var.wait_for_guest_net_timeout
}

locals {
  inventory_path = var.inventory_path != "" ? var.inventory_path : "${path.root}/../../../inventories/${var.environment_name}/hosts.yml"

  # Ansible reaches a VM by its IP; before VMware Tools reports one, by its name (DNS).
  gpu_nodes = [for name, vm in module.gpu_node : {
    name    = name
    address = coalesce(vm.default_ip_address, name)
    gpus    = length(vm.gpu_pci_ids)
  }]
  gateway = {
    name    = module.gateway.name
    address = coalesce(module.gateway.default_ip_address, module.gateway.name)
  }
}

# The inventory playbooks/site.yml consumes: llm_backends + nvidia_gpu (the GPU nodes), llm_gateway
# (and llm_state, with database_on_gateway).
resource "local_file" "inventory" {
  filename             = local.inventory_path
  file_permission      = "0644"
  directory_permission = "0755"
  content = templatefile("${path.module}/templates/hosts.yml.tftpl", {
    all_vars    = merge({ ansible_user = var.ssh_user }, var.inventory_vars)
    llm_backend = var.llm_backend
    gpu_nodes   = local.gpu_nodes
    gateway     = local.gateway
    # The gateway's database on the gateway itself (llm_state), when asked for.
    database_on_gateway = var.database_on_gateway
  })
}
