"""Sandbox hosts: systemd containers standing in for on-prem VMs, plus the artifact mirror.

Everything lives on one Docker network (``llm-onprem``) so the hosts reach the mirror by name and
each other by address, like VMs on a private network. Ansible reaches the hosts with the
``community.docker.docker`` connection; nothing needs SSH.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from docker.errors import NotFound
from docker.models.containers import Container
from docker.models.networks import Network

from llm_onprem import hosts

NETWORK = "llm-onprem"
LABEL = "llm-onprem.sandbox"
SYSTEMD_IMAGE = "local/" + hosts.by_key(hosts.DEFAULT).image
BASE_IMAGE = "local/debian:bookworm"
MIRROR_NAME = "llm-onprem-mirror"
MIRROR_PORT = 8088


@dataclass(frozen=True)
class HostSpec:
    name: str
    publish: dict[str, tuple[str, int]] | None = None
    image: str = SYSTEMD_IMAGE  # the host OS: local/<distro>-systemd:<suite> (llm_onprem.hosts)


def log(message: str) -> None:
    print(f"[sandbox] {message}", file=sys.stderr, flush=True)


def client() -> docker.DockerClient:
    return docker.from_env(version="auto", timeout=120)


def sandbox_networks(api: docker.DockerClient) -> list[Network]:
    """The network named exactly NETWORK: Docker's name filter matches substrings, so it also lists a
    dev stack's `llm-onprem-dev_default` (taking that one for ours left the sandbox without its own)."""
    return [network for network in api.networks.list(names=[NETWORK]) if network.name == NETWORK]


def ensure_network(api: docker.DockerClient) -> None:
    if not sandbox_networks(api):
        api.networks.create(NETWORK, driver="bridge", labels={LABEL: "1"})
        log(f"created network {NETWORK}")


def _running(api: docker.DockerClient, name: str) -> Container | None:
    try:
        container = api.containers.get(name)
    except NotFound:
        return None
    if container.status != "running":
        container.remove(force=True)
        return None
    return container


def ensure_mirror(api: docker.DockerClient, mirror: Path) -> None:
    """Serve the mirror directory read-only over HTTP at http://llm-onprem-mirror:8088/."""
    ensure_network(api)
    current = _running(api, MIRROR_NAME)
    if current is not None and _mirror_source(current) != str(mirror.resolve()):
        log(f"the running mirror serves {_mirror_source(current)}: replacing it")
        current.remove(force=True)
        current = None
    if current is None:
        api.containers.run(
            BASE_IMAGE,
            ["python3", "-m", "http.server", str(MIRROR_PORT), "--directory", "/srv/mirror"],
            name=MIRROR_NAME,
            hostname=MIRROR_NAME,
            detach=True,
            network=NETWORK,
            volumes={str(mirror.resolve()): {"bind": "/srv/mirror", "mode": "ro"}},
            labels={LABEL: "mirror"},
            init=True,
        )
        log(f"mirror serving {mirror} at http://{MIRROR_NAME}:{MIRROR_PORT}/")
    container = api.containers.get(MIRROR_NAME)
    if not wait_http(container, f"http://127.0.0.1:{MIRROR_PORT}/manifest.json", timeout=15, interval=0.5):
        raise RuntimeError("the mirror did not serve manifest.json; run `make mirror` first")


def wait_http(container: Container, url: str, timeout: float, interval: float = 2) -> bool:
    """Whether `url` answered 2xx/3xx from inside the container (its python3) within `timeout` s."""
    probe = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=5)"
    deadline = time.monotonic() + timeout
    while True:
        if container.exec_run(["python3", "-c", probe]).exit_code == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _mirror_source(container: Container) -> str | None:
    for mount in container.attrs.get("Mounts", []):
        if mount.get("Destination") == "/srv/mirror":
            return str(mount.get("Source"))
    return None


# What every sandbox host is created with beyond the defaults (llm_firewall loads nftables rules).
CAPABILITIES = ["NET_ADMIN"]


def outdated(attrs: dict[str, Any], spec: HostSpec) -> str:
    """Why a running host container no longer matches what `ensure_host` would create (another host
    OS; a sandbox started by an older checkout: another published port, a capability it now needs),
    or ""."""
    config = attrs.get("HostConfig") or {}
    image = (attrs.get("Config") or {}).get("Image")
    if image != spec.image:
        return f"it runs {image}, not {spec.image}"
    missing = [c for c in CAPABILITIES if c not in (config.get("CapAdd") or [])]
    if missing:
        return f"it lacks {', '.join(missing)}"
    wanted = {
        port: [{"HostIp": host_ip, "HostPort": str(host_port)}]
        for port, (host_ip, host_port) in (spec.publish or {}).items()
    }
    if (config.get("PortBindings") or {}) != wanted:
        return f"it publishes {config.get('PortBindings') or 'nothing'}, not {wanted or 'nothing'}"
    return ""


def ensure_host(api: docker.DockerClient, spec: HostSpec) -> Container:
    ensure_network(api)
    container = _running(api, spec.name)
    reason = outdated(container.attrs, spec) if container is not None else ""
    if container is not None and reason:
        log(f"{spec.name} was created by an older checkout ({reason}): recreating it")
        container.remove(force=True)
        container = None
    if container is None:
        container = api.containers.run(
            spec.image,
            name=spec.name,
            hostname=spec.name,
            detach=True,
            network=NETWORK,
            tmpfs={"/run": "", "/run/lock": "", "/tmp": ""},  # noqa: S108 (container tmpfs)
            volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "ro"}},
            cgroupns="host",
            # The host firewall (llm_firewall) loads nftables rules in the container's own network
            # namespace; NET_ADMIN is all it needs (--privileged fails here and is not wanted).
            cap_add=CAPABILITIES,
            stop_signal="SIGRTMIN+3",
            shm_size="2g",  # a VM's /dev/shm is half its RAM; vLLM needs more than Docker's 64 MiB
            ports=spec.publish or {},
            labels={LABEL: "host"},
        )
        log(f"started {spec.name}")
    for _ in range(60):
        state = container.exec_run(["systemctl", "is-system-running"]).output.decode().strip()
        if state in {"running", "degraded"}:
            return container
        time.sleep(0.5)
    raise RuntimeError(f"systemd in {spec.name} did not come up (state: {state})")


def up(mirror: Path, hosts: list[HostSpec]) -> None:
    api = client()
    ensure_mirror(api, mirror)
    for spec in hosts:
        ensure_host(api, spec)


def down(names: list[str] | None = None) -> None:
    """Remove the sandbox: every container of the harness (hosts and mirror) and the network, or with
    `names` only those host containers (another inventory's sandbox and the mirror stay up, and the
    network with them)."""
    api = client()
    for container in api.containers.list(all=True, filters={"label": LABEL}):
        if names is None or (container.name in names and container.labels.get(LABEL) == "host"):
            container.remove(force=True)
            log(f"removed {container.name}")
    if names is not None:
        return
    for network in sandbox_networks(api):
        network.reload()
        others = [c.name for c in network.containers]
        if others:  # e.g. a Molecule instance: leave the network to whoever still uses it
            log(f"kept network {NETWORK}: still used by {', '.join(others)}")
            continue
        network.remove()
        log(f"removed network {NETWORK}")
