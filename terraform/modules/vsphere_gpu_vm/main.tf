data "vsphere_datacenter" "this" {
  name = var.datacenter
}

data "vsphere_host" "this" {
  name          = var.host
  datacenter_id = data.vsphere_datacenter.this.id
}

data "vsphere_compute_cluster" "this" {
  count         = var.cluster == "" ? 0 : 1
  name          = var.cluster
  datacenter_id = data.vsphere_datacenter.this.id
}

data "vsphere_datastore" "this" {
  name          = var.datastore
  datacenter_id = data.vsphere_datacenter.this.id
}

data "vsphere_network" "this" {
  name          = var.network
  datacenter_id = data.vsphere_datacenter.this.id
}

data "vsphere_virtual_machine" "template" {
  name          = var.template
  datacenter_id = data.vsphere_datacenter.this.id
}

# One lookup (the data source returns a single device); several GPUs need gpu_pci_ids.
data "vsphere_host_pci_device" "gpu" {
  count      = var.gpu_count > 0 && length(var.gpu_pci_ids) == 0 ? 1 : 0
  host_id    = data.vsphere_host.this.id
  vendor_id  = var.gpu_vendor_id
  name_regex = var.gpu_name_regex
}

locals {
  gpu_pci_ids = length(var.gpu_pci_ids) > 0 ? var.gpu_pci_ids : [for d in data.vsphere_host_pci_device.gpu : d.id if d.id != null && d.id != ""]

  # 64-bit MMIO window: total GPU memory rounded up to a power of two, then doubled
  # (2 x 24 GB -> 48 -> 64 -> 128; 1 x 80 GB -> 128 -> 256). vSphere's default window is 32 GB.
  total_gpu_memory_gb = var.gpu_count * var.gpu_memory_gb
  mmio_size_gb = var.gpu_count == 0 ? 0 : coalesce(
    var.mmio_size_gb, pow(2, ceil(log(local.total_gpu_memory_gb, 2))) * 2
  )

  passthrough_config = var.gpu_count == 0 ? {} : {
    "pciPassthru.use64bitMMIO"    = "TRUE"
    "pciPassthru.64bitMMIOSizeGB" = tostring(local.mmio_size_gb)
  }

  hostname = var.hostname == "" ? var.name : var.hostname
  # cloud-init's VMware datasource (guestinfo): instance metadata and user data, base64.
  cloud_init_config = {
    "guestinfo.metadata" = base64encode(jsonencode({
      "instance-id"    = var.name
      "local-hostname" = local.hostname
    }))
    "guestinfo.metadata.encoding" = "base64"
    "guestinfo.userdata" = base64encode(templatefile("${path.module}/templates/userdata.yaml.tftpl", {
      hostname            = local.hostname
      ssh_user            = var.ssh_user
      ssh_authorized_keys = var.ssh_authorized_keys
    }))
    "guestinfo.userdata.encoding" = "base64"
  }

  resource_pool_id = (
    var.resource_pool_id != "" ? var.resource_pool_id :
    var.cluster != "" ? data.vsphere_compute_cluster.this[0].resource_pool_id : data.vsphere_host.this.resource_pool_id
  )
}

resource "vsphere_virtual_machine" "this" {
  name             = var.name
  folder           = var.folder
  resource_pool_id = local.resource_pool_id
  host_system_id   = data.vsphere_host.this.id
  datastore_id     = data.vsphere_datastore.this.id

  num_cpus           = var.num_cpus
  memory             = var.memory_mb
  memory_reservation = coalesce(var.memory_reservation_mb, var.memory_mb)
  firmware           = var.firmware
  guest_id           = data.vsphere_virtual_machine.template.guest_id
  scsi_type          = data.vsphere_virtual_machine.template.scsi_type

  # Hot-add is incompatible with passthrough devices (and with vNUMA): off.
  cpu_hot_add_enabled    = false
  memory_hot_add_enabled = false

  network_interface {
    network_id   = data.vsphere_network.this.id
    adapter_type = data.vsphere_virtual_machine.template.network_interface_types[0]
  }

  disk {
    label            = "disk0"
    size             = max(coalesce(var.disk_size_gb, 0), data.vsphere_virtual_machine.template.disks[0].size)
    thin_provisioned = data.vsphere_virtual_machine.template.disks[0].thin_provisioned
  }

  clone {
    template_uuid = data.vsphere_virtual_machine.template.id
  }

  pci_device_id = local.gpu_pci_ids
  extra_config  = merge(var.extra_config, local.passthrough_config, local.cloud_init_config)

  wait_for_guest_net_timeout = var.wait_for_guest_net_timeout

  lifecycle {
    precondition {
      condition     = length(local.gpu_pci_ids) == var.gpu_count
      error_message = "No NVIDIA GPU matched on host ${var.host}: vendor_id ${var.gpu_vendor_id}, name_regex \"${var.gpu_name_regex}\" found ${length(local.gpu_pci_ids)} of ${var.gpu_count} device(s). Check the host's PCI devices (govc host.info -json) or set gpu_pci_ids."
    }
  }
}
