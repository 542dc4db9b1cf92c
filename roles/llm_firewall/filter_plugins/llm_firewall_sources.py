"""Which addresses may reach a host's service ports: those of the allowed inventory groups' hosts."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

# Host variables naming an address that moves between hosts (llm_ingress's VIP).
FLOATING = ("llm_ingress_vip_address",)


def llm_firewall_sources(
    hostvars: Mapping[str, Any],
    hosts: Iterable[str],
    extra: Iterable[str] = (),
) -> dict[str, list[str]]:
    """{"ipv4": [...], "ipv6": [...]}: every global or private address in the facts of `hosts`
    (all_ipv4_addresses, all_ipv6_addresses; loopback and link-local left out, loopback is allowed
    by interface) plus `extra` (addresses or CIDRs). A host without address facts is an error: an
    empty set would lock the gateway out."""
    out: dict[str, list[str]] = {"ipv4": [], "ipv6": []}

    def add(value: str, origin: str) -> None:
        try:
            net = ipaddress.ip_network(str(value).strip(), strict=False)
        except ValueError as error:
            raise AnsibleFilterError(
                f"llm_firewall: {origin}: {value!r} is not an address or CIDR"
            ) from error
        if net.is_loopback or net.is_link_local:
            return
        text = str(net.network_address) if net.num_addresses == 1 else str(net)
        family = "ipv4" if net.version == 4 else "ipv6"
        if text not in out[family]:
            out[family].append(text)

    for host in hosts:
        variables = hostvars.get(host, {})
        facts = variables.get("ansible_facts", {})
        addresses = [*facts.get("all_ipv4_addresses", []), *facts.get("all_ipv6_addresses", [])]
        if not addresses:
            raise AnsibleFilterError(
                f"llm_firewall: no address facts for {host} (llm_firewall_allowed_groups): gather its facts "
                "first, or list its addresses in llm_firewall_allowed_sources"
            )
        # A virtual address keepalived moves between ingress hosts is none of theirs: whether a host's
        # facts show it depends on the moment (and the rules would change with it).
        floating = {str(variables.get(var) or "").strip() for var in FLOATING} - {""}
        for address in addresses:
            if address not in floating:
                add(address, host)
    for value in extra:
        add(value, "llm_firewall_allowed_sources")
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_firewall_sources": llm_firewall_sources}
