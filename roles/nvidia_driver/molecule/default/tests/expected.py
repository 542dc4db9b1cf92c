"""What the nvidia_driver role installs on Debian 12 (distro source, proprietary modules)."""

DRIVER_PACKAGES = [
    "nvidia-kernel-dkms",
    "nvidia-smi",
    "libnvidia-ml1",
    "libcuda1",
    "firmware-nvidia-gsp",
    "nvidia-persistenced",
]
NONFREE_SOURCES = "/etc/apt/sources.list.d/llm-onprem-debian-nonfree.sources"
