"""Package selection per OS family: each role's defaults + vars/main.yml + the OS vars file its
first_found picks, rendered by Ansible's templar with the facts of each supported OS."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from tests.conftest import ROOT

FACTS = {
    "debian12": {
        "distribution": "Debian",
        "distribution_major_version": "12",
        "distribution_release": "bookworm",
    },
    "debian13": {
        "distribution": "Debian",
        "distribution_major_version": "13",
        "distribution_release": "trixie",
    },
    "ubuntu2204": {
        "distribution": "Ubuntu",
        "distribution_major_version": "22",
        "distribution_version": "22.04",
    },
    "ubuntu2404": {
        "distribution": "Ubuntu",
        "distribution_major_version": "24",
        "distribution_version": "24.04",
    },
    "rocky9": {"distribution": "Rocky", "distribution_major_version": "9", "os_family": "RedHat"},
}


def _trusted(value: Any) -> Any:
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def render(role: str, os_name: str, expression: str, **overrides: Any) -> Any:
    facts = {"os_family": "Debian", "kernel": "6.8.0-31-generic", "architecture": "x86_64", **FACTS[os_name]}
    vars_dir = ROOT / "roles" / role / "vars"
    candidates = [
        f"{facts['distribution']}-{facts['distribution_major_version']}.yml",
        f"{facts['distribution']}.yml",
        f"{facts['os_family']}.yml",
    ]
    os_file = next(vars_dir / name for name in candidates if (vars_dir / name).exists())
    variables: dict[str, Any] = {}
    for path in (ROOT / "roles" / role / "defaults/main.yml", vars_dir / "main.yml", os_file):
        variables.update(yaml.safe_load(path.read_text()))
    variables.update(overrides, ansible_facts=facts)
    templar = Templar(loader=DataLoader(), variables=_trusted(variables))
    return templar.template(trust_as_template("{{ " + expression + " }}"))


DEBIAN_COMPUTE = ["nvidia-smi", "libnvidia-ml1", "libcuda1", "firmware-nvidia-gsp", "nvidia-persistenced"]


@pytest.mark.parametrize(
    ("os_name", "overrides", "packages"),
    [
        ("debian12", {}, ["nvidia-kernel-dkms", *DEBIAN_COMPUTE]),
        (
            "debian13",
            {"nvidia_driver_open_kernel_modules": True},
            ["nvidia-open-kernel-dkms", *DEBIAN_COMPUTE],
        ),
        (
            "debian12",
            {"nvidia_driver_package_version": "535.261.03-1", "nvidia_driver_persistenced": False},
            [f"{p}=535.261.03-1" for p in ["nvidia-kernel-dkms", *DEBIAN_COMPUTE[:-1]]],
        ),
        ("debian12", {"nvidia_driver_source": "cuda"}, ["cuda-drivers-580"]),
        (
            "ubuntu2204",
            {"nvidia_driver_branch": "570"},
            ["nvidia-headless-570-server", "nvidia-utils-570-server"],
        ),
        (
            "ubuntu2404",
            {"nvidia_driver_open_kernel_modules": True},
            ["nvidia-headless-580-server-open", "nvidia-utils-580-server"],
        ),
        (
            "ubuntu2404",
            {"nvidia_driver_source": "cuda", "nvidia_driver_open_kernel_modules": True},
            ["nvidia-open-580"],
        ),
        # Userspace only (the Molecule forced host on Ubuntu): no DKMS, no compiler.
        (
            "ubuntu2404",
            {"nvidia_driver_kernel_modules": "none"},
            ["nvidia-headless-no-dkms-580-server", "nvidia-utils-580-server"],
        ),
        # Canonical's signed prebuilt modules for the running kernel.
        (
            "ubuntu2204",
            {"nvidia_driver_kernel_modules": "prebuilt", "nvidia_driver_open_kernel_modules": True},
            [
                "nvidia-headless-no-dkms-580-server-open",
                "nvidia-utils-580-server",
                "linux-modules-nvidia-580-server-open-6.8.0-31-generic",
            ],
        ),
        ("debian12", {"nvidia_driver_kernel_modules": "none"}, DEBIAN_COMPUTE),
        ("rocky9", {}, ["@nvidia-driver:580-dkms"]),
        (
            "rocky9",
            {"nvidia_driver_open_kernel_modules": True, "nvidia_driver_package_version": "x"},
            ["@nvidia-driver:580-open"],
        ),
    ],
)
def test_nvidia_driver_packages(os_name, overrides, packages):
    assert render("nvidia_driver", os_name, "__nvidia_driver_pinned_packages", **overrides) == packages


@pytest.mark.parametrize(
    ("os_name", "source", "headers", "repo_dir", "fingerprint"),
    [
        (
            "debian12",
            "distro",
            "linux-headers-6.8.0-31-generic",
            "debian12/x86_64",
            "EB693B3035CD5710E231E123A4B469963BF863CC",
        ),
        ("debian13", "distro", "linux-headers-6.8.0-31-generic", "debian13/x86_64", ""),
        (
            "ubuntu2404",
            "distro",
            "linux-headers-6.8.0-31-generic",
            "ubuntu2404/x86_64",
            "EB693B3035CD5710E231E123A4B469963BF863CC",
        ),
        ("rocky9", "cuda", "kernel-devel-6.8.0-31-generic", "rhel9/x86_64", ""),
    ],
)
def test_nvidia_driver_source_headers_and_cuda_repo(os_name, source, headers, repo_dir, fingerprint):
    assert render("nvidia_driver", os_name, "__nvidia_driver_source") == source
    assert render("nvidia_driver", os_name, "__nvidia_driver_headers_package") == headers
    assert render("nvidia_driver", os_name, "__nvidia_driver_cuda_repo_dir") == repo_dir
    assert render("nvidia_driver", os_name, "__nvidia_driver_cuda_fingerprint") == fingerprint


def test_nvidia_driver_debian_options_use_the_renamed_module():
    assert render("nvidia_driver", "debian12", "__nvidia_driver_module_name") == "nvidia-current"
    assert render("nvidia_driver", "ubuntu2404", "__nvidia_driver_module_name") == "nvidia"


@pytest.mark.parametrize(
    ("os_name", "overrides", "packages"),
    [
        ("debian12", {}, ["docker.io"]),
        ("debian13", {}, ["docker.io", "docker-cli"]),  # the client is its own package there
        ("ubuntu2204", {}, ["docker.io"]),
        (
            "ubuntu2404",
            {"docker_engine_source": "docker", "docker_engine_version": "5:28.5.1-1~ubuntu.24.04~noble"},
            [
                "docker-ce=5:28.5.1-1~ubuntu.24.04~noble",
                "docker-ce-cli=5:28.5.1-1~ubuntu.24.04~noble",
                "containerd.io",
                "docker-buildx-plugin",
                "docker-compose-plugin",
            ],
        ),
        (
            "rocky9",
            {"docker_engine_source": "docker", "docker_engine_version": "28.5.1"},
            [
                "docker-ce-28.5.1",
                "docker-ce-cli-28.5.1",
                "containerd.io",
                "docker-buildx-plugin",
                "docker-compose-plugin",
            ],
        ),
        ("rocky9", {}, []),  # the role asserts on this: RHEL has no distribution Docker
    ],
)
def test_docker_engine_packages(os_name, overrides, packages):
    assert render("docker_engine", os_name, "__docker_engine_pinned_packages", **overrides) == packages


def test_docker_repo_key_and_mirror():
    key = render(
        "docker_engine", "debian12", "__docker_engine_repo_key_url", llm_mirror_url="http://mirror:8088/"
    )
    assert key == "http://mirror:8088/docker/linux/debian/gpg"
    assert (
        render("docker_engine", "ubuntu2404", "__docker_engine_repo_key_url")
        == "https://download.docker.com/linux/ubuntu/gpg"
    )


@pytest.mark.parametrize(
    ("os_name", "packages", "uris"),
    [
        (
            "debian12",
            ["nvidia-container-toolkit=1.19.1-1", "nvidia-container-toolkit-base=1.19.1-1"],
            "https://nvidia.github.io/libnvidia-container/stable/deb/amd64",
        ),
        (  # Ubuntu has no vars file of its own: first_found falls back to the Debian family's.
            "ubuntu2404",
            ["nvidia-container-toolkit=1.19.1-1", "nvidia-container-toolkit-base=1.19.1-1"],
            "https://nvidia.github.io/libnvidia-container/stable/deb/amd64",
        ),
        (
            "rocky9",
            ["nvidia-container-toolkit-1.19.1-1", "nvidia-container-toolkit-base-1.19.1-1"],
            "https://nvidia.github.io/libnvidia-container/stable/rpm/$basearch",
        ),
    ],
)
def test_container_toolkit_packages_and_repository(os_name, packages, uris):
    pinned = render(
        "nvidia_container_toolkit",
        os_name,
        "__nvidia_container_toolkit_pinned",
        nvidia_container_toolkit_packages=["nvidia-container-toolkit", "nvidia-container-toolkit-base"],
    )
    assert pinned == packages
    assert render("nvidia_container_toolkit", os_name, "__nvidia_container_toolkit_repo_uris") == uris
