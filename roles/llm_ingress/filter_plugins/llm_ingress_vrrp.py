"""The VRRP instance (keepalived) that moves an ingress tier's virtual address between its hosts."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError

# keepalived's range for a host that does not own the address (255 is the owner's).
TOP_PRIORITY = 200
PRIORITY_STEP = 10


def _address(hostvars: Mapping[str, Any], host: str) -> str:
    address = hostvars.get(host, {}).get("ansible_facts", {}).get("default_ipv4", {}).get("address")
    if not address:
        raise AnsibleFilterError(
            f"llm_ingress: no address facts for ingress host {host}: gather its facts in this run "
            "(the role does, for every host of llm_ingress_group)"
        )
    return str(address)


def llm_ingress_vrrp(
    vip: str, hosts: Sequence[str], hostvars: Mapping[str, Any], this_host: str, priority: int = 0
) -> dict[str, Any]:
    """{vip, source, peers, priority} of `this_host`'s instance: it sends its adverts from its default
    IPv4 address to every other host of `hosts` (unicast: no multicast needed on the site's network).
    `priority` 0 means by position in `hosts`: 200 for the first, 10 less for each next one (so the
    first host holds the address when all start together). Errors name llm_ingress_vip_address: not
    an IPv4 address, or the address of one of the hosts."""
    try:
        address = ipaddress.IPv4Address(str(vip).strip())
    except ValueError:
        raise AnsibleFilterError(
            f"llm_ingress_vip_address: {vip!r} is not an IPv4 address (the virtual address clients call)"
        ) from None
    if this_host not in hosts:
        raise AnsibleFilterError(f"llm_ingress: {this_host} is not a host of llm_ingress_group")
    addresses = {host: _address(hostvars, host) for host in hosts}
    taken = [host for host, own in addresses.items() if own == str(address)]
    if taken:
        raise AnsibleFilterError(
            f"llm_ingress_vip_address: {address} is the address of {', '.join(taken)}; the virtual "
            "address must be a free one on the ingress hosts' network"
        )
    if not priority:
        priority = max(1, TOP_PRIORITY - PRIORITY_STEP * list(hosts).index(this_host))
    if not 1 <= int(priority) <= 254:
        raise AnsibleFilterError(f"llm_ingress_vip_priority: {priority} is outside 1-254")
    return {
        "vip": str(address),
        "source": addresses[this_host],
        "peers": [own for host, own in addresses.items() if host != this_host],
        "priority": int(priority),
    }


def llm_ingress_address_in(network: str, index: int) -> str:
    """The address at `index` of `network` (CIDR or address/netmask; negative counts from the end,
    -1 being the broadcast address): e.g. a free virtual address at the top of a sandbox network whose
    addresses are handed out from the bottom."""
    try:
        net = ipaddress.IPv4Network(str(network), strict=False)
        return str(net[int(index)])
    except (ValueError, IndexError) as error:
        raise AnsibleFilterError(f"llm_ingress_address_in: {network!r}[{index}]: {error}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_ingress_vrrp": llm_ingress_vrrp, "llm_ingress_address_in": llm_ingress_address_in}
