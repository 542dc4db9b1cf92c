"""nvidia_driver forced on a GPU-less host: Debian's non-free driver packages, held, the module
configuration, and a reboot that is recorded as owed (the module cannot load here), not performed."""

import json

from expected import DRIVER_PACKAGES, NONFREE_SOURCES

testinfra_hosts = ["ansible://molecule-nvidia-forced"]


def test_forced_host_has_the_driver_packages_held(host):
    for package in DRIVER_PACKAGES:
        assert host.package(package).is_installed, package
        status = host.check_output("dpkg-query -W -f='${Status}' %s", package)
        assert status.startswith("hold "), (package, status)


def test_forced_host_uses_the_non_free_archive(host):
    sources = host.file(NONFREE_SOURCES).content_string
    assert "Components: contrib non-free non-free-firmware" in sources
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources
    policy = host.check_output("apt-cache policy nvidia-kernel-dkms")
    assert "bookworm/non-free" in policy


def test_forced_host_module_configuration(host):
    modprobe = host.file("/etc/modprobe.d/nvidia-llm-onprem.conf").content_string
    assert "blacklist nouveau" in modprobe
    assert "options nouveau modeset=0" in modprobe
    assert host.file("/etc/modules-load.d/nvidia-uvm.conf").content_string.splitlines()[-1] == "nvidia_uvm"
    assert host.service("nvidia-persistenced").is_enabled


def test_forced_host_records_the_pending_reboot(host):
    state = json.loads(host.file("/etc/ansible/facts.d/nvidia_driver.fact").content_string)
    installed = host.check_output("dpkg-query -W -f='${Version}' libnvidia-ml1").split("-")[0]
    assert state["installed_version"] == installed
    # No GPU and the host's kernel: the module cannot load, so a reboot is owed but was not done.
    assert state["loaded_version"] == ""
    assert state["reboot_pending"] is True
    assert "not loaded" in state["reboot_reason"]
    assert not host.file("/sys/module/nvidia").exists
