"""What the nvidia_driver role installs (distro source) on each OS the scenario runs on."""

from functools import cache
from pathlib import Path

import yaml

DEFAULTS = Path(__file__).resolve().parents[3] / "defaults" / "main.yml"

# Debian: the non-free packages, the kernel module via DKMS (its build skips the container's kernel).
DEBIAN_PACKAGES = [
    "nvidia-kernel-dkms",
    "nvidia-smi",
    "libnvidia-ml1",
    "libcuda1",
    "firmware-nvidia-gsp",
    "nvidia-persistenced",
]
NONFREE_SOURCES = "/etc/apt/sources.list.d/llm-onprem-debian-nonfree.sources"


@cache
def _branch(host) -> str:
    """The branch the host was converged with: its nvidia_driver_branch (molecule.yml sets one for
    the forced host), else the role's default."""
    default = yaml.safe_load(DEFAULTS.read_text())["nvidia_driver_branch"]
    return str(host.ansible.get_variables().get("nvidia_driver_branch", default))


def ubuntu_packages(branch: str) -> list[str]:
    """Canonical's -server packages of a branch, userspace only (kernel modules: none)."""
    return [
        f"nvidia-headless-no-dkms-{branch}-server",
        f"nvidia-utils-{branch}-server",
        f"libnvidia-compute-{branch}-server",
        f"nvidia-compute-utils-{branch}-server",
    ]


def driver_packages(host) -> list[str]:
    if host.system_info.distribution == "ubuntu":
        return ubuntu_packages(_branch(host))
    return DEBIAN_PACKAGES


def held_packages(host) -> list[str]:
    """Held: what the role names (on Ubuntu the dependencies follow their pinned parents)."""
    return driver_packages(host)[:2] if host.system_info.distribution == "ubuntu" else DEBIAN_PACKAGES


def version_package(host) -> str:
    """The package whose version is the installed NVML userspace."""
    if host.system_info.distribution == "ubuntu":
        return f"nvidia-utils-{_branch(host)}-server"
    return "libnvidia-ml1"


def dkms_package(host) -> str:
    return f"nvidia-dkms-{_branch(host)}-server"


def gated_absent(host) -> list[str]:
    """What the gated host (defaults) must not have: every package the role installs on either OS, of
    the role's default branch."""
    return DEBIAN_PACKAGES + ubuntu_packages(_branch(host))
