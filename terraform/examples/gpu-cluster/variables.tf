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
  description = "VM names are <prefix>-gpu-<n> and <prefix>-gw."
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

# --- Gateway ---------------------------------------------------------------------------------------
variable "gateway_host" {
  description = "ESXi host for the gateway VM (no GPU)."
  type        = string
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
