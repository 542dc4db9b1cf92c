// vcsim-gpu: govmomi's vCenter simulator (vcsim) whose ESXi hosts carry NVIDIA GPUs.
//
// Stock vcsim hosts have no PCI passthrough devices, so nothing that provisions GPU VMs can be
// exercised against it. This wrapper builds the usual VPX inventory (DC0, cluster DC0_C0 with
// -host hosts, standalone host DC0_H0, VMs) and then, on every host:
//   - adds -gpus NVIDIA functions to hardware.pciDevice (vendor 0x10de, class 0x0302);
//   - lists them in config.pciPassthruInfo: passthrough-capable; enabled and active on the cluster
//     hosts, disabled on the standalone host (left for the vsphere_gpu_passthrough role to enable);
//   - serves HostPciPassthruSystem.UpdatePassthruConfig for them (vcsim has no such object);
//   - answers EnvironmentBrowser.QueryConfigTarget with the host's active passthrough devices
//     (VirtualMachinePciPassthroughInfo with the host's systemId), as vCenter does.
//
// The simulator still validates nothing about passthrough (reservations, MMIO): the Terraform
// module and the role enforce those rules themselves.
//
// Usage: vcsim-gpu -l 127.0.0.1:8989 -env-file vcsim.env   (then source vcsim.env: GOVC_URL, ...)
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	// Endpoints beside /sdk that the vSphere Terraform provider opens a session with: the REST
	// (vAPI/CIS) API for tags and the storage policy (PBM) API.
	_ "github.com/vmware/govmomi/pbm/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const nvidiaVendor = 0x10de

// gpuHost is what the simulator knows about one host's GPUs.
type gpuHost struct {
	host *simulator.HostSystem
}

var hosts = map[types.ManagedObjectReference]*gpuHost{}

// passthroughTargets is what QueryConfigTarget must add for a host (or, without one, all hosts):
// its active NVIDIA functions as VirtualMachinePciPassthroughInfo with the host's systemId.
// vcsim type-asserts its own EnvironmentBrowser internally, so the method cannot be overridden
// in the registry; the front proxy (proxy.go) injects this into the SOAP response instead.
func passthroughTargets(host string) []types.VirtualMachinePciPassthroughInfo {
	var out []types.VirtualMachinePciPassthroughInfo
	refs := make([]types.ManagedObjectReference, 0, len(hosts))
	for ref := range hosts {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Value < refs[j].Value })
	for _, ref := range refs {
		gh := hosts[ref]
		if host != "" && ref.Value != host {
			continue
		}
		active := map[string]bool{}
		for _, info := range gh.host.Config.PciPassthruInfo {
			i := info.GetHostPciPassthruInfo()
			active[i.Id] = i.PassthruActive
		}
		for _, dev := range gh.host.Hardware.PciDevice {
			if uint16(dev.VendorId) != nvidiaVendor || !active[dev.Id] {
				continue
			}
			out = append(out, types.VirtualMachinePciPassthroughInfo{
				VirtualMachineTargetInfo: types.VirtualMachineTargetInfo{Name: dev.DeviceName},
				PciDevice:                dev,
				SystemId:                 gh.host.Hardware.SystemInfo.Uuid,
			})
		}
	}
	return out
}

// clusterAlias answers for a cluster under the ComputeResource type. vCenter resolves a managed
// object reference by its value, so clients (the vSphere Terraform provider among them) may name a
// cluster "ComputeResource:domain-c28"; vcsim matches the type strictly and would say "not found".
type clusterAlias struct {
	*simulator.ClusterComputeResource
	self types.ManagedObjectReference
}

func (a *clusterAlias) Reference() types.ManagedObjectReference { return a.self }

// vmDefaults gives new VMs (clones) what vCenter gives them and vcsim leaves empty:
// swapPlacement "inherit". Without it every plan shows a change to swap_placement_policy.
type vmDefaults struct{}

func (vmDefaults) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VcsimGpuDefaults", Value: "vm-defaults"}
}

func (vmDefaults) PutObject(item mo.Reference) {
	if vm, ok := item.(*simulator.VirtualMachine); ok && vm.Config != nil && vm.Config.SwapPlacement == "" {
		vm.Config.SwapPlacement = string(types.VirtualMachineConfigInfoSwapPlacementTypeInherit)
	}
}

func (vmDefaults) UpdateObject(*simulator.Context, mo.Reference, []types.PropertyChange) {}

func (vmDefaults) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

// pciPassthruSystem is the HostPciPassthruSystem of one host.
type pciPassthruSystem struct {
	mo.HostPciPassthruSystem
	host *simulator.HostSystem
}

func (s *pciPassthruSystem) UpdatePassthruConfig(ctx *simulator.Context, req *types.UpdatePassthruConfig) soap.HasFault {
	body := &methods.UpdatePassthruConfigBody{}
	known := map[string]int{}
	for i, info := range s.host.Config.PciPassthruInfo {
		known[info.GetHostPciPassthruInfo().Id] = i
	}
	for _, c := range req.Config {
		cfg := c.GetHostPciPassthruConfig()
		if _, ok := known[cfg.Id]; !ok {
			body.Fault_ = simulator.Fault(fmt.Sprintf("PCI device %s is not passthrough-capable", cfg.Id),
				&types.InvalidArgument{InvalidProperty: "config.id"})
			return body
		}
	}
	ctx.WithLock(s.host, func() {
		for _, c := range req.Config {
			cfg := c.GetHostPciPassthruConfig()
			info := s.host.Config.PciPassthruInfo[known[cfg.Id]].GetHostPciPassthruInfo()
			info.PassthruEnabled = cfg.PassthruEnabled
			// A real host activates the change at its next reboot; the simulator has no reboot.
			info.PassthruActive = cfg.PassthruEnabled
		}
		s.PciPassthruInfo = s.host.Config.PciPassthruInfo
	})
	body.Res = &types.UpdatePassthruConfigResponse{}
	return body
}

func (s *pciPassthruSystem) Refresh(ctx *simulator.Context, req *types.Refresh) soap.HasFault {
	return &methods.RefreshBody{Res: &types.RefreshResponse{}}
}

func addGPUs(ctx *simulator.Context, h *simulator.HostSystem, index, count int, name string, deviceID int, enabled bool) {
	hardware := *h.Hardware
	hardware.PciDevice = append([]types.HostPciDevice(nil), h.Hardware.PciDevice...)
	config := *h.Config
	config.PciPassthruInfo = nil
	for i := 0; i < count; i++ {
		bus := 0x3b + 0x40*i
		id := fmt.Sprintf("0000:%02x:00.0", bus)
		hardware.PciDevice = append(hardware.PciDevice, types.HostPciDevice{
			Id:          id,
			ClassId:     0x0302,
			Bus:         byte(bus),
			VendorId:    int16(nvidiaVendor),
			SubVendorId: int16(nvidiaVendor),
			VendorName:  "NVIDIA Corporation",
			DeviceId:    int16(deviceID),
			SubDeviceId: 0x1533,
			DeviceName:  name,
		})
		config.PciPassthruInfo = append(config.PciPassthruInfo, &types.HostPciPassthruInfo{
			Id:              id,
			DependentDevice: id,
			PassthruEnabled: enabled,
			PassthruCapable: true,
			PassthruActive:  enabled,
		})
	}
	h.Hardware = &hardware
	h.Config = &config

	system := &pciPassthruSystem{host: h}
	system.Self = types.ManagedObjectReference{Type: "HostPciPassthruSystem", Value: fmt.Sprintf("pcipassthrusystem-%d", index)}
	system.PciPassthruInfo = config.PciPassthruInfo
	ctx.Map.Put(system)
	h.ConfigManager.PciPassthruSystem = &system.Self
	hosts[h.Self] = &gpuHost{host: h}
}

func main() {
	listen := flag.String("l", "127.0.0.1:8989", "listen address")
	envFile := flag.String("env-file", "", "write GOVC_URL, GOVC_INSECURE and VCSIM_PID here (sh syntax)")
	clusterHosts := flag.Int("host", 2, "hosts in cluster DC0_C0 (GPUs passthrough-enabled)")
	gpus := flag.Int("gpus", 2, "NVIDIA GPUs per host")
	gpuName := flag.String("gpu-name", "GA100 [A100 PCIe 80GB]", "PCI device name of the GPUs")
	gpuDevice := flag.Int("gpu-device-id", 0x20b5, "PCI device id of the GPUs")
	flag.BoolVar(&simulator.Trace, "trace", false, "trace SOAP requests and responses to stderr")
	flag.Parse()

	model := simulator.VPX()
	model.ClusterHost = *clusterHosts
	model.Machine = 1
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	ctx := simulator.SpoofContext()
	for i, entity := range ctx.Map.All("HostSystem") {
		h := entity.(*simulator.HostSystem)
		standalone := h.Parent != nil && h.Parent.Type == "ComputeResource"
		addGPUs(ctx, h, i, *gpus, *gpuName, *gpuDevice, !standalone)
	}

	// vCenter's config option carries the hardware version in hardwareOptions.hwVersion too; without
	// it clients conclude the VM is older than it is and ask for an upgrade vcsim refuses.
	for _, ref := range ctx.Map.AllReference("EnvironmentBrowser") {
		if eb, ok := ref.(*simulator.EnvironmentBrowser); ok && eb.QueryConfigOptionResponse.Returnval == nil {
			version, _ := strconv.Atoi(strings.TrimPrefix(esx.HardwareVersion, "vmx-"))
			eb.QueryConfigOptionResponse.Returnval = &types.VirtualMachineConfigOption{
				Version:         esx.HardwareVersion,
				DefaultDevice:   esx.VirtualDevice,
				HardwareOptions: types.VirtualHardwareOption{HwVersion: int32(version)},
			}
		}
	}
	for _, entity := range ctx.Map.All("VirtualMachine") {
		vmDefaults{}.PutObject(entity)
	}
	ctx.Map.AddHandler(vmDefaults{})
	for _, entity := range ctx.Map.All("ClusterComputeResource") {
		cluster := entity.(*simulator.ClusterComputeResource)
		alias := types.ManagedObjectReference{Type: "ComputeResource", Value: cluster.Self.Value}
		ctx.Map.Put(&clusterAlias{ClusterComputeResource: cluster, self: alias})
	}

	// The simulator listens on an ephemeral loopback port; clients talk to the front proxy.
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword("user", "pass")}
	model.Service.RegisterEndpoints = true
	model.Service.TLS = new(tls.Config)
	server := model.Service.NewServer()
	defer server.Close()
	front, err := serveFront(*listen, server.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer front.Close()

	govcURL := &url.URL{Scheme: "https", Host: *listen, Path: "/sdk", User: url.UserPassword("user", "pass")}
	env := fmt.Sprintf("export GOVC_URL=%s GOVC_INSECURE=1 VCSIM_PID=%d\n", govcURL, os.Getpid())
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(env), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Print(env)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	model.Remove()
}
