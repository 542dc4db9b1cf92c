# The smallest use of the module: one VM with one NVIDIA GPU of a given host.
#   tofu init && TF_VAR_vsphere_password=... tofu apply
terraform {
  required_version = ">= 1.8.0"
  required_providers {
    vsphere = {
      source  = "hashicorp/vsphere"
      version = ">= 1.26.0"
    }
  }
}

variable "vsphere_server" {
  description = "vCenter address."
  type        = string
}

variable "vsphere_user" {
  description = "vCenter user."
  type        = string
}

variable "vsphere_password" {
  description = "vCenter password."
  type        = string
  sensitive   = true
}

provider "vsphere" {
  vsphere_server = var.vsphere_server
  user           = var.vsphere_user
  password       = var.vsphere_password
}

module "gpu_vm" {
  source = "../.."

  name           = "llm-gpu-1"
  datacenter     = "DC1"
  cluster        = "gpu-cluster"
  host           = "esx-gpu-01.example.internal"
  datastore      = "vsanDatastore"
  network        = "llm-private"
  template       = "debian-12-cloudinit"
  num_cpus       = 16
  memory_mb      = 131072
  gpu_count      = 1
  gpu_name_regex = "A100|H100"
  gpu_memory_gb  = 80
}

output "gpu_vm" {
  description = "The VM, its GPU and its MMIO window."
  value = {
    id           = module.gpu_vm.id
    gpu_pci_ids  = module.gpu_vm.gpu_pci_ids
    mmio_size_gb = module.gpu_vm.mmio_size_gb
  }
}
