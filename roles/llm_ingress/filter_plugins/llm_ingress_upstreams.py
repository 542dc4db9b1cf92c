"""The LiteLLM instances an ingress host balances across, from the inventory."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

DEFAULT_PORT = 4000


def llm_ingress_upstream_name(host: str) -> str:
    """The haproxy server name of a gateway host (what the upgrade's drain addresses)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", host)


def llm_ingress_upstreams(
    gateways: Iterable[str],
    hostvars: Mapping[str, Any],
    this_host: str,
    shared: bool,
    default_port: int = DEFAULT_PORT,
) -> list[dict[str, Any]]:
    """[{name, address, port}]. Not shared (no ingress group: each gateway fronts itself): LiteLLM on
    this host, over loopback. Shared (an ingress group): every gateway host, by the private address
    its LiteLLM listens on then (its default IPv4 address), at its litellm_port. A gateway whose
    facts this run has not gathered is an error naming it (an ingress without it would never send
    it traffic)."""
    if not shared:
        port = hostvars.get(this_host, {}).get("litellm_port", default_port)
        return [{"name": "litellm", "address": "127.0.0.1", "port": int(port)}]
    out: list[dict[str, Any]] = []
    for host in gateways:
        variables = hostvars.get(host, {})
        address = variables.get("ansible_facts", {}).get("default_ipv4", {}).get("address")
        if not address:
            raise AnsibleFilterError(
                f"llm_ingress: no address facts for gateway {host}: gather its facts in this run "
                "(the role does, for the hosts of llm_ingress_gateways_group) or set llm_ingress_upstreams"
            )
        name = llm_ingress_upstream_name(host)
        port = int(variables.get("litellm_port", default_port))
        out.append({"name": name, "address": address, "port": port})
    if not out:
        raise AnsibleFilterError("llm_ingress: the gateway group has no hosts to send requests to")
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "llm_ingress_upstreams": llm_ingress_upstreams,
            "llm_ingress_upstream_name": llm_ingress_upstream_name,
        }
