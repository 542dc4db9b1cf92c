# --- vCenter ---------------------------------------------------------------------------------------
variable "vsphere_server" {
  description = "vCenter address (host or host:port)."
  type        = string
}

variable "vsphere_user" {
  description = "vCenter user."
  type        = string
}

variable "vsphere_password" {
  description = "vCenter password (set TF_VAR_vsphere_password; never commit it)."
  type        = string
  sensitive   = true
}

variable "allow_unverified_ssl" {
  description = "Accept vCenter's certificate without verification (lab / simulator only)."
  type        = bool
  default     = false
}

# --- Placement -------------------------------------------------------------------------------------
variable "datacenter" {
  description = "Datacenter name."
  type        = string
}

variable "cluster" {
  description = "Cluster holding the GPU hosts and the gateway host (empty for standalone hosts)."
  type        = string
  default     = ""
}

variable "datastore" {
  description = "Datastore for all VMs."
  type        = string
}

variable "network" {
  description = "Port group for all VMs (the private network between gateway and backends)."
  type        = string
}

variable "template" {
  description = "cloud-init enabled Linux template to clone (Debian 12 is what the roles are tested on)."
  type        = string
}

variable "name_prefix" {
  description = "VM names are <prefix>-gpu-<n>, <prefix>-gw (or <prefix>-gw-<n>), <prefix>-state and <prefix>-lb."
  type        = string
  default     = "llm"
}

# --- GPU nodes -------------------------------------------------------------------------------------
variable "gpu_hosts" {
  description = "ESXi hosts with passthrough-enabled NVIDIA GPUs; one GPU node VM is pinned to each."
  type        = list(string)

  validation {
    condition     = length(var.gpu_hosts) >= 1 && length(distinct(var.gpu_hosts)) == length(var.gpu_hosts)
    error_message = "gpu_hosts must name at least one host, each once (one GPU node per host)."
  }
}

variable "gpu_name_regex" {
  description = "PCI device name filter for the GPUs (with vendor 10de)."
  type        = string
  default     = "."
}

variable "gpu_memory_gb" {
  description = "Memory of one GPU in GB (sizes the 64-bit MMIO window)."
  type        = number
  default     = 80
}

variable "gpu_node_cpus" {
  description = "vCPUs per GPU node."
  type        = number
  default     = 16
}

variable "gpu_node_memory_mb" {
  description = "Memory per GPU node in MiB (fully reserved)."
  type        = number
  default     = 131072
}

variable "llm_backend" {
  description = "Backend the GPU nodes run (llama_cpp, ollama or vllm), written into the inventory."
  type        = string
  default     = "vllm"

  validation {
    condition     = contains(["llama_cpp", "ollama", "vllm"], var.llm_backend)
    error_message = "llm_backend must be llama_cpp, ollama or vllm."
  }
}

variable "database_on_gateway" {
  description = "Also put the gateway in the llm_state group: playbooks/site.yml then runs llm_postgresql on it (LiteLLM's DB mode; point litellm_database_url at it). False: no state host (master-key mode, or an existing PostgreSQL by URL)."
  type        = bool
  default     = false
}

# --- Gateways --------------------------------------------------------------------------------------
variable "gateway_host" {
  description = "ESXi host for the gateway VM (no GPU); also the default host of the state and load-balancer VMs."
  type        = string
}

variable "gateway_count" {
  description = "Gateway VMs: <prefix>-gw alone, or <prefix>-gw-1..n. More than one needs state_vm and ingress_vm (docs/high-availability.md)."
  type        = number
  default     = 1

  validation {
    condition     = var.gateway_count >= 1 && var.gateway_count <= 9 && floor(var.gateway_count) == var.gateway_count
    error_message = "gateway_count must be a whole number from 1 to 9."
  }
}

variable "gateway_hosts" {
  description = "ESXi hosts the gateways are spread over, round robin (different hosts: one host down leaves a gateway); empty: gateway_host."
  type        = list(string)
  default     = []

  validation {
    condition     = length(distinct(var.gateway_hosts)) == length(var.gateway_hosts)
    error_message = "gateway_hosts must name each host once."
  }
}

variable "gateway_cpus" {
  description = "vCPUs of the gateway."
  type        = number
  default     = 4
}

variable "gateway_memory_mb" {
  description = "Memory of the gateway in MiB."
  type        = number
  default     = 8192
}

# --- State and load balancer (several gateways) ---------------------------------------------------
variable "state_vm" {
  description = "A VM <prefix>-state running PostgreSQL and Redis for the gateways (groups llm_state and llm_redis); the inventory points the gateways at it."
  type        = bool
  default     = false
}

variable "state_host" {
  description = "ESXi host of the state VM (empty: gateway_host)."
  type        = string
  default     = ""
}

variable "state_cpus" {
  description = "vCPUs of the state VM."
  type        = number
  default     = 2
}

variable "state_memory_mb" {
  description = "Memory of the state VM in MiB."
  type        = number
  default     = 4096
}

variable "ingress_vm" {
  description = "A VM <prefix>-lb running haproxy (group llm_ingress): the HTTPS endpoint, balancing across every gateway and draining one that stops."
  type        = bool
  default     = false
}

variable "ingress_host" {
  description = "ESXi host of the load-balancer VM (empty: gateway_host)."
  type        = string
  default     = ""
}

variable "ingress_cpus" {
  description = "vCPUs of the load-balancer VM."
  type        = number
  default     = 2
}

variable "ingress_memory_mb" {
  description = "Memory of the load-balancer VM in MiB."
  type        = number
  default     = 2048
}

variable "monitoring_vm" {
  description = "A VM <prefix>-mon (group llm_monitoring): Prometheus, Alertmanager, the synthetic completion probe and the alert rules; every VM then runs the node exporter, open to it only."
  type        = bool
  default     = false
}

variable "monitoring_host" {
  description = "ESXi host of the monitoring VM (empty: gateway_host)."
  type        = string
  default     = ""
}

variable "monitoring_cpus" {
  description = "vCPUs of the monitoring VM."
  type        = number
  default     = 2
  validation {
    condition     = var.monitoring_cpus >= 1
    error_message = "monitoring_cpus must be at least 1."
  }
}

variable "monitoring_memory_mb" {
  description = "Memory of the monitoring VM in MiB (Prometheus keeps llm_monitoring_retention of samples)."
  type        = number
  default     = 4096
  validation {
    condition     = var.monitoring_memory_mb >= 2048
    error_message = "monitoring_memory_mb must be at least 2048 (Prometheus and Alertmanager)."
  }
}

# --- Guest access and the inventory ----------------------------------------------------------------
variable "ssh_user" {
  description = "User cloud-init creates; Ansible connects as it."
  type        = string
  default     = "ansible"
}

variable "ssh_authorized_keys" {
  description = "Public keys for ssh_user."
  type        = list(string)
  default     = []
}

variable "environment_name" {
  description = "The inventory is written to inventories/<environment_name>/hosts.yml."
  type        = string
  default     = "gpu-cluster"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9_-]*$", var.environment_name))
    error_message = "environment_name must be lowercase letters, digits, dashes or underscores (it names a directory)."
  }
}

variable "inventory_path" {
  description = "Where to write the inventory; empty: <repo>/inventories/<environment_name>/hosts.yml."
  type        = string
  default     = ""
}

variable "inventory_vars" {
  description = "Extra variables written under all.vars of the inventory (for example ansible_port); they override ansible_user."
  type        = map(string)
  default     = {}
}

variable "wait_for_guest_net_timeout" {
  description = "Minutes to wait for each VM's IP (the inventory needs them)."
  type        = number
  default     = 5
}
