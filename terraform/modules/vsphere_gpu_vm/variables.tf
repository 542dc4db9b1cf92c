# --- Placement -------------------------------------------------------------------------------------
variable "name" {
  description = "VM name in vCenter (also the guest hostname unless hostname is set)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$", var.name))
    error_message = "name must be a DNS label: letters, digits and dashes, 1-63 characters, no leading or trailing dash."
  }
}

variable "datacenter" {
  description = "Datacenter name."
  type        = string
}

variable "host" {
  description = "ESXi host the VM is pinned to (host_system_id). Passthrough devices belong to one host, so a GPU VM cannot float."
  type        = string
}

variable "cluster" {
  description = "Compute cluster of the host (its root resource pool is used). Empty: the host is standalone."
  type        = string
  default     = ""
}

variable "resource_pool_id" {
  description = "Resource pool managed object ID; overrides the cluster's or host's root pool."
  type        = string
  default     = ""
}

variable "datastore" {
  description = "Datastore for the VM's files and disks."
  type        = string
}

variable "network" {
  description = "Port group of the VM's single NIC."
  type        = string
}

variable "folder" {
  description = "VM folder path relative to the datacenter's VM folder (empty: the root)."
  type        = string
  default     = ""
}

variable "template" {
  description = "Template (or VM) to clone: a cloud-init enabled Linux image (guestinfo datasource)."
  type        = string
}

# --- Size ------------------------------------------------------------------------------------------
variable "num_cpus" {
  description = "vCPUs."
  type        = number
  default     = 8

  validation {
    condition     = var.num_cpus >= 1 && floor(var.num_cpus) == var.num_cpus
    error_message = "num_cpus must be a whole number >= 1."
  }
}

variable "memory_mb" {
  description = "Memory in MiB (a multiple of 4)."
  type        = number
  default     = 65536

  validation {
    condition     = var.memory_mb >= 1024 && var.memory_mb % 4 == 0
    error_message = "memory_mb must be >= 1024 and a multiple of 4."
  }
}

variable "memory_reservation_mb" {
  description = "Memory reservation in MiB. Null: equal to memory_mb. With GPUs it must equal memory_mb (passthrough needs all guest memory reserved)."
  type        = number
  default     = null

  validation {
    condition     = var.memory_reservation_mb == null ? true : (var.gpu_count == 0 ? var.memory_reservation_mb <= var.memory_mb : var.memory_reservation_mb == var.memory_mb)
    error_message = "memory_reservation_mb must equal memory_mb when the VM has GPUs (PCI passthrough pins all guest memory; vSphere refuses to power on with less), and cannot exceed memory_mb otherwise. Leave it null to reserve everything."
  }
}

variable "disk_size_gb" {
  description = "Size of the first disk in GB; null keeps the template's (it cannot shrink)."
  type        = number
  default     = null
}

variable "firmware" {
  description = "efi or bios. GPUs need efi (64-bit MMIO above 4 GB)."
  type        = string
  default     = "efi"

  validation {
    condition     = contains(["efi", "bios"], var.firmware)
    error_message = "firmware must be efi or bios."
  }

  validation {
    condition     = var.gpu_count == 0 || var.firmware == "efi"
    error_message = "firmware must be efi when gpu_count > 0: BIOS firmware cannot map the GPUs' large 64-bit BARs, and the VM fails to power on or the driver sees no device."
  }
}

# --- GPUs ------------------------------------------------------------------------------------------
variable "gpu_count" {
  description = "NVIDIA GPUs passed through to the VM (0 for a CPU-only VM such as the gateway)."
  type        = number
  default     = 1

  validation {
    condition     = var.gpu_count >= 0 && floor(var.gpu_count) == var.gpu_count
    error_message = "gpu_count must be a whole number >= 0."
  }
}

variable "gpu_vendor_id" {
  description = "PCI vendor ID (hex) matched by the vsphere_host_pci_device lookup."
  type        = string
  default     = "10de"

  validation {
    condition     = can(regex("^[0-9a-fA-F]{4}$", var.gpu_vendor_id))
    error_message = "gpu_vendor_id must be 4 hex digits, for example 10de (NVIDIA)."
  }
}

variable "gpu_name_regex" {
  description = "Regular expression on the PCI device name (for example \"A100|H100\"); together with the vendor it picks the GPU."
  type        = string
  default     = "."
}

variable "gpu_pci_ids" {
  description = "Explicit host PCI IDs (\"0000:3b:00.0\"). Required for gpu_count > 1: the vsphere_host_pci_device lookup returns one device."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.gpu_pci_ids : can(regex("^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$", id))])
    error_message = "gpu_pci_ids entries must look like 0000:3b:00.0 (domain:bus:slot.function)."
  }

  validation {
    condition     = length(var.gpu_pci_ids) == 0 ? var.gpu_count <= 1 : length(var.gpu_pci_ids) == var.gpu_count
    error_message = "gpu_pci_ids must list exactly gpu_count IDs; it is required when gpu_count > 1, because the vsphere_host_pci_device lookup returns a single device."
  }
}

variable "gpu_memory_gb" {
  description = "Memory of one GPU in GB (80 for an A100/H100 80GB); sizes the 64-bit MMIO window."
  type        = number
  default     = 80

  validation {
    condition     = var.gpu_memory_gb > 0
    error_message = "gpu_memory_gb must be > 0."
  }
}

variable "mmio_size_gb" {
  description = "pciPassthru.64bitMMIOSizeGB. Null: computed, the total GPU memory rounded up to a power of two, doubled."
  type        = number
  default     = null

  validation {
    condition     = var.mmio_size_gb == null ? true : var.mmio_size_gb >= 32 && pow(2, floor(log(var.mmio_size_gb, 2))) == var.mmio_size_gb
    error_message = "mmio_size_gb must be a power of two >= 32 (GB)."
  }
}

# --- Guest -----------------------------------------------------------------------------------------
variable "hostname" {
  description = "Guest hostname set by cloud-init (default: name)."
  type        = string
  default     = ""
}

variable "ssh_user" {
  description = "User cloud-init creates with the SSH keys and passwordless sudo (Ansible connects as this user)."
  type        = string
  default     = "ansible"
}

variable "ssh_authorized_keys" {
  description = "Public keys for ssh_user."
  type        = list(string)
  default     = []
}

variable "extra_config" {
  description = "More VMX advanced settings. The passthrough and guestinfo keys of this module win over these."
  type        = map(string)
  default     = {}
}

variable "wait_for_guest_net_timeout" {
  description = "Minutes to wait for the guest's IP (0: do not wait)."
  type        = number
  default     = 5
}
