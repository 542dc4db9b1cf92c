"""nvidia_container_toolkit role on a GPU-less host: signed repository, pinned and held package, the
nvidia runtime merged into docker's and containerd's configuration, CDI skipped for lack of a driver."""

import json
import os
import re
from pathlib import Path

from tests.support.versions import role_default

VERSION = role_default("nvidia_container_toolkit", "nvidia_container_toolkit_version")
MIRROR = Path(os.environ.get("LLM_ONPREM_CACHE", Path.home() / ".cache/llm-onprem")) / "mirror"


def test_repository_trusts_only_its_pinned_key(host):
    source = host.file("/etc/apt/sources.list.d/nvidia-container-toolkit.sources").content_string
    assert "URIs: http://llm-onprem-mirror:8088/libnvidia-container/stable/deb/amd64" in source
    assert "Suites: /" in source
    assert "Signed-By: /etc/apt/keyrings/nvidia-container-toolkit.asc" in source
    keyring = host.file("/etc/apt/keyrings/nvidia-container-toolkit.asc")
    assert keyring.mode == 0o644
    # The installed key is the one the mirror publishes, identified by the pinned fingerprint.
    listing = host.check_output("gpg --batch --show-keys --with-colons %s", keyring.path)
    fingerprint = (MIRROR / "libnvidia-container" / "gpgkey.fingerprint").read_text().strip()
    assert f"fpr:::::::::{fingerprint}:" in listing


def test_package_pinned_and_held(host):
    package = host.package("nvidia-container-toolkit-base")
    assert package.is_installed
    assert package.version == f"{VERSION}-1"
    assert host.check_output("dpkg-query -W -f='${Status}' nvidia-container-toolkit-base").startswith("hold ")
    assert VERSION in host.check_output("nvidia-ctk --version")


def test_docker_runtime_added_beside_the_seeded_one(host):
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["runtimes"]["nvidia"] == {"path": "nvidia-container-runtime", "args": []}
    assert daemon["runtimes"]["runc-debug"] == {"path": "/usr/bin/runc", "runtimeArgs": ["--debug"]}
    # Every other key, as docker_engine's prepare seeded and its converge merged them: docker_engine's
    # verifier, run in this scenario after the toolkit, compares the whole document.
    assert "default-runtime" not in daemon


def test_docker_daemon_serves_the_nvidia_runtime(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert "nvidia" in info["Runtimes"]
    assert "runc-debug" in info["Runtimes"]
    assert info["DefaultRuntime"] == "runc"


def test_containerd_runtime_added_as_drop_in(host):
    dump = host.check_output("containerd config dump")
    assert "containerd.runtimes.nvidia]" in dump
    # containerd 1.x (Debian) dumps TOML strings in double quotes, 2.x (Ubuntu 24.04) in single ones.
    assert re.search(r"BinaryName = [\"']/usr/bin/nvidia-container-runtime[\"']", dump), dump[-1500:]
    assert host.service("containerd").is_running


def test_cdi_refresh_armed_but_no_spec_without_a_driver(host):
    assert host.service("nvidia-cdi-refresh.path").is_enabled
    assert not host.exists("nvidia-smi")
    assert not host.file("/var/run/cdi/nvidia.yaml").exists
