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

# The gateways, spread over gateway_hosts (round robin): one ESXi host down leaves the others serving.
module "gateway" {
  source   = "../../modules/vsphere_gpu_vm"
  for_each = local.gateway_names

  name       = each.value
  datacenter = var.datacenter
  cluster    = var.cluster
  host       = local.gateway_placement[tonumber(each.key) % length(local.gateway_placement)]
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

# The VMs beside the gateways in the production shape: the state VM (state_vm: PostgreSQL for keys,
# teams and budgets, Redis for router state, limits and the cache; the site's own HA PostgreSQL/Redis
# replaces it in production), the load balancer (ingress_vm: haproxy serving HTTPS, llm_ingress) and
# the monitoring VM (monitoring_vm: Prometheus, Alertmanager and the probe, llm_monitoring).
module "service_vm" {
  source   = "../../modules/vsphere_gpu_vm"
  for_each = local.service_vms

  name       = each.key
  datacenter = var.datacenter
  cluster    = var.cluster
  host       = each.value.host
  datastore  = var.datastore
  network    = var.network
  template   = var.template

  num_cpus  = each.value.cpus
  memory_mb = each.value.memory_mb
  gpu_count = 0

  ssh_user                   = var.ssh_user
  ssh_authorized_keys        = var.ssh_authorized_keys
  wait_for_guest_net_timeout = var.wait_for_guest_net_timeout
}

# One gateway keeps the name (and the state address) it had before gateway_count existed.
moved {
  from = module.gateway
  to   = module.gateway["0"]
}

locals {
  inventory_path = var.inventory_path != "" ? var.inventory_path : "${path.root}/../../../inventories/${var.environment_name}/hosts.yml"

  # Ansible reaches a VM by its IP; before VMware Tools reports one, by its name (DNS).
  gpu_nodes = [for name, vm in module.gpu_node : {
    name    = name
    address = coalesce(vm.default_ip_address, name)
    gpus    = length(vm.gpu_pci_ids)
  }]

  # One gateway: <prefix>-gw (as before gateway_count existed); several: <prefix>-gw-1..n.
  gateway_names = { for i in range(var.gateway_count) : tostring(i) => (var.gateway_count == 1 ? "${var.name_prefix}-gw" : format("%s-gw-%d", var.name_prefix, i + 1)) }

  gateway_placement = length(var.gateway_hosts) > 0 ? var.gateway_hosts : [var.gateway_host]

  gateways = [for key in sort(keys(local.gateway_names)) : {
    name    = module.gateway[key].name
    address = coalesce(module.gateway[key].default_ip_address, module.gateway[key].name)
  }]

  service_vms = { for name, vm in {
    "${var.name_prefix}-state" = { role = "state", enabled = var.state_vm, host = coalesce(var.state_host, var.gateway_host), cpus = var.state_cpus, memory_mb = var.state_memory_mb }
    "${var.name_prefix}-lb"    = { role = "ingress", enabled = var.ingress_vm, host = coalesce(var.ingress_host, var.gateway_host), cpus = var.ingress_cpus, memory_mb = var.ingress_memory_mb }
    "${var.name_prefix}-mon"   = { role = "monitoring", enabled = var.monitoring_vm, host = coalesce(var.monitoring_host, var.gateway_host), cpus = var.monitoring_cpus, memory_mb = var.monitoring_memory_mb }
  } : name => vm if vm.enabled }

  state      = [for name, vm in module.service_vm : { name = name, address = coalesce(vm.default_ip_address, name) } if local.service_vms[name].role == "state"]
  ingress    = [for name, vm in module.service_vm : { name = name, address = coalesce(vm.default_ip_address, name) } if local.service_vms[name].role == "ingress"]
  monitoring = [for name, vm in module.service_vm : { name = name, address = coalesce(vm.default_ip_address, name) } if local.service_vms[name].role == "monitoring"]
}

# The inventory playbooks/site.yml consumes: llm_backends + nvidia_gpu (the GPU nodes), llm_gateway
# (and llm_state, with database_on_gateway); with state_vm llm_state + llm_redis (the state VM, and
# the gateways' litellm_database_url / litellm_redis_host pointing at it); with ingress_vm llm_ingress;
# with monitoring_vm llm_monitoring.
resource "local_file" "inventory" {
  filename             = local.inventory_path
  file_permission      = "0644"
  directory_permission = "0755"
  content = templatefile("${path.module}/templates/hosts.yml.tftpl", {
    all_vars    = merge({ ansible_user = var.ssh_user }, var.inventory_vars)
    llm_backend = var.llm_backend
    gpu_nodes   = local.gpu_nodes
    gateways    = local.gateways
    state       = local.state
    ingress     = local.ingress
    monitoring  = local.monitoring
    # The gateway's database on the gateway itself (llm_state), when asked for.
    database_on_gateway = var.database_on_gateway
  })

  lifecycle {
    precondition {
      condition     = var.gateway_count == 1 || var.ingress_vm
      error_message = "gateway_count > 1 needs ingress_vm = true: one endpoint (the load balancer) in front of the gateways."
    }
    precondition {
      condition     = var.gateway_count == 1 || var.state_vm
      error_message = "gateway_count > 1 needs state_vm = true: the gateways share keys, limits and router state through its PostgreSQL and Redis."
    }
    precondition {
      condition     = !(var.database_on_gateway && var.state_vm)
      error_message = "database_on_gateway and state_vm both place PostgreSQL: choose one."
    }
  }
}
