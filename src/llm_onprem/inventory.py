"""Read the sandbox hosts out of an Ansible YAML inventory (hosts.yml), so the containers the
harness starts are exactly the hosts the playbooks target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from llm_onprem import hosts as host_oses
from llm_onprem.sandbox import SYSTEMD_IMAGE, HostSpec


def _walk(group: dict[str, Any], hosts: dict[str, dict[str, Any]]) -> None:
    for name, host_vars in (group.get("hosts") or {}).items():
        hosts.setdefault(name, {}).update(host_vars or {})
    for child in (group.get("children") or {}).values():
        _walk(child or {}, hosts)


def _hosts(hosts_file: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(hosts_file.read_text()) or {}
    hosts: dict[str, dict[str, Any]] = {}
    _walk(data.get("all") or {}, hosts)
    return hosts


def sandbox_hosts(hosts_file: Path, published_port: int, image: str = SYSTEMD_IMAGE) -> list[HostSpec]:
    """Every host in the inventory, as containers of `image`; a host with ``sandbox_publish_port: N``
    gets container port N published on 127.0.0.1:<published_port>, or on 127.0.0.1:<its
    ``sandbox_host_port``> when it has one (an inventory whose sandbox runs beside another one's keeps
    its own port), and one with ``sandbox_os: KEY`` (a key of llm_onprem.hosts, e.g. ubuntu-22.04)
    runs that OS's image instead of `image`."""
    specs = []
    for name, host_vars in sorted(_hosts(hosts_file).items()):
        port = host_vars.get("sandbox_publish_port")
        host_port = int(host_vars.get("sandbox_host_port") or published_port)
        publish = {f"{int(port)}/tcp": ("127.0.0.1", host_port)} if port else None
        os_key = host_vars.get("sandbox_os")
        try:
            host_image = "local/" + host_oses.by_key(os_key).image if os_key else image
        except KeyError as err:
            raise SystemExit(f"{hosts_file}: {name}: sandbox_os: {err.args[0]}") from None
        specs.append(HostSpec(name=name, publish=publish, image=host_image))
    return specs


def published_port(hosts_file: Path, default: int) -> int:
    """The loopback port on which the harness publishes this inventory's endpoint (its host with
    ``sandbox_publish_port``): that host's ``sandbox_host_port``, else `default` (the harness's
    ``--gateway-port``, from $LLM_ONPREM_GATEWAY_PORT)."""
    for spec in sandbox_hosts(hosts_file, default):
        for _, port in (spec.publish or {}).values():
            return port
    return default
