"""nvidia_driver forced on a GPU-less host: the distribution's driver packages (Debian's non-free
ones; Ubuntu's Canonical -server userspace, no DKMS), held, the module configuration, and a reboot
that is recorded as owed (the module cannot load here), not performed."""

import json

import pytest
from expected import NONFREE_SOURCES, dkms_package, driver_packages, held_packages, version_package

testinfra_hosts = ["ansible://forced"]


def test_forced_host_has_the_driver_packages(host):
    for package in driver_packages(host):
        assert host.package(package).is_installed, package


def test_forced_host_holds_them(host):
    for package in held_packages(host):
        status = host.check_output("dpkg-query -W -f='${Status}' %s", package)
        assert status.startswith("hold "), (package, status)
    held = host.check_output("apt-mark showhold").split()
    assert sorted(held) == sorted(held_packages(host))


def test_forced_host_uses_the_non_free_archive(host):
    if host.system_info.distribution == "ubuntu":
        pytest.skip("Ubuntu: the driver is in the host's own restricted component, no archive is added")
    sources = host.file(NONFREE_SOURCES).content_string
    assert "Components: contrib non-free non-free-firmware" in sources
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources
    policy = host.check_output("apt-cache policy nvidia-kernel-dkms")
    assert "bookworm/non-free" in policy


def test_forced_ubuntu_host_builds_no_module(host):
    if host.system_info.distribution != "ubuntu":
        pytest.skip("Debian: the DKMS package is the only module source of its non-free archive")
    for package in (dkms_package(host), "dkms", "gcc"):
        assert not host.package(package).is_installed, package
    assert "restricted" in host.check_output("apt-cache policy %s", version_package(host))


def test_forced_host_module_configuration(host):
    modprobe = host.file("/etc/modprobe.d/nvidia-llm-onprem.conf").content_string
    assert "blacklist nouveau" in modprobe
    assert "options nouveau modeset=0" in modprobe
    assert host.file("/etc/modules-load.d/nvidia-uvm.conf").content_string.splitlines()[-1] == "nvidia_uvm"
    assert host.service("nvidia-persistenced").is_enabled


def test_forced_host_records_the_pending_reboot(host):
    state = json.loads(host.file("/etc/ansible/facts.d/nvidia_driver.fact").content_string)
    installed = host.check_output("dpkg-query -W -f='${Version}' %s", version_package(host)).split("-")[0]
    assert state["installed_version"] == installed
    # No GPU and the host's kernel: the module cannot load, so a reboot is owed but was not done.
    assert state["loaded_version"] == ""
    assert state["reboot_pending"] is True
    assert "not loaded" in state["reboot_reason"]
    assert not host.file("/sys/module/nvidia").exists
