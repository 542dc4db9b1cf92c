"""nvidia_driver on a host without an NVIDIA GPU, defaults: the role skips it, nothing is installed."""

from expected import NONFREE_SOURCES, gated_absent

testinfra_hosts = ["ansible://gated"]


def test_no_gpu_on_these_hosts(host):
    # Premise of the scenario: if the CI machine ever gets an NVIDIA GPU, this file needs a GPU variant.
    vendors = host.check_output("cat /sys/bus/pci/devices/*/vendor 2>/dev/null || true").split()
    assert "0x10de" not in vendors


def test_gated_host_gets_nothing(host):
    for package in gated_absent(host):
        assert not host.package(package).is_installed, package
    for path in (
        NONFREE_SOURCES,
        "/etc/modprobe.d/nvidia-llm-onprem.conf",
        "/etc/ansible/facts.d/nvidia_driver.fact",
    ):
        assert not host.file(path).exists, path
