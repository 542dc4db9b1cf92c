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


def sandbox_hosts(hosts_file: Path, published_port: int, image: str = SYSTEMD_IMAGE) -> list[HostSpec]:
    """Every host in the inventory, as containers of `image`; a host with ``sandbox_publish_port: N``
    gets container port N published on 127.0.0.1:<published_port>, and one with ``sandbox_os: KEY``
    (a key of llm_onprem.hosts, e.g. ubuntu-22.04) runs that OS's image instead of `image`."""
    data = yaml.safe_load(hosts_file.read_text()) or {}
    hosts: dict[str, dict[str, Any]] = {}
    _walk(data.get("all") or {}, hosts)
    specs = []
    for name, host_vars in sorted(hosts.items()):
        port = host_vars.get("sandbox_publish_port")
        publish = {f"{int(port)}/tcp": ("127.0.0.1", published_port)} if port else None
        os_key = host_vars.get("sandbox_os")
        try:
            host_image = "local/" + host_oses.by_key(os_key).image if os_key else image
        except KeyError as err:
            raise SystemExit(f"{hosts_file}: {name}: sandbox_os: {err.args[0]}") from None
        specs.append(HostSpec(name=name, publish=publish, image=host_image))
    return specs
