"""What the nvidia_driver role installs (distro source) on each OS the scenario runs on."""

# Debian: the non-free packages, the kernel module via DKMS (its build skips the container's kernel).
DEBIAN_PACKAGES = [
    "nvidia-kernel-dkms",
    "nvidia-smi",
    "libnvidia-ml1",
    "libcuda1",
    "firmware-nvidia-gsp",
    "nvidia-persistenced",
]
# Ubuntu: Canonical's -server packages of the role's branch, userspace only (kernel modules: none).
UBUNTU_PACKAGES = [
    "nvidia-headless-no-dkms-580-server",
    "nvidia-utils-580-server",
    "libnvidia-compute-580-server",
    "nvidia-compute-utils-580-server",
]
# Held: what the role names (the dependencies follow their pinned parents).
UBUNTU_HELD = UBUNTU_PACKAGES[:2]
NONFREE_SOURCES = "/etc/apt/sources.list.d/llm-onprem-debian-nonfree.sources"


def driver_packages(host) -> list[str]:
    return UBUNTU_PACKAGES if host.system_info.distribution == "ubuntu" else DEBIAN_PACKAGES


def held_packages(host) -> list[str]:
    return UBUNTU_HELD if host.system_info.distribution == "ubuntu" else DEBIAN_PACKAGES


def version_package(host) -> str:
    """The package whose version is the installed NVML userspace."""
    return "nvidia-utils-580-server" if host.system_info.distribution == "ubuntu" else "libnvidia-ml1"


# Both OSes' packages (the gated host must have none of them).
DRIVER_PACKAGES = DEBIAN_PACKAGES + UBUNTU_PACKAGES
