terraform {
  # OpenTofu >= 1.8 or Terraform >= 1.9: variable validations refer to other variables.
  required_version = ">= 1.8.0"

  required_providers {
    vsphere = {
      source = "hashicorp/vsphere"
      # Tested with 1.26.0 against the GPU-aware vcsim (tools/vcsim-gpu); 2.x adds
      # memory_reservation_locked_to_max and applies pci_device_id in the clone's first apply.
      version = ">= 1.26.0"
    }
  }
}
