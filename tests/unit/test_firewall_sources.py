"""Which addresses may reach a backend's port (roles/llm_firewall/filter_plugins)."""

import importlib.util

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "llm_firewall_sources", ROOT / "roles/llm_firewall/filter_plugins/llm_firewall_sources.py"
)
fw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fw)

HOSTVARS = {
    "gw-1": {
        "ansible_facts": {
            "all_ipv4_addresses": ["10.0.0.4", "172.17.0.1"],
            "all_ipv6_addresses": ["fe80::1", "fd00::4"],
        }
    },
    "gw-2": {"ansible_facts": {"all_ipv4_addresses": ["10.0.0.5", "10.0.0.4"], "all_ipv6_addresses": []}},
    "gw-3": {"ansible_facts": {}},
}


def test_every_gateway_address_without_link_local_plus_the_extra_sources():
    assert fw.llm_firewall_sources(HOSTVARS, ["gw-1", "gw-2"], ["192.0.2.0/24", "10.0.0.5"]) == {
        "ipv4": ["10.0.0.4", "172.17.0.1", "10.0.0.5", "192.0.2.0/24"],
        "ipv6": ["fd00::4"],
    }


def test_a_gateway_without_address_facts_fails_instead_of_locking_it_out():
    with pytest.raises(AnsibleFilterError, match="no address facts for gw-3"):
        fw.llm_firewall_sources(HOSTVARS, ["gw-1", "gw-3"])


def test_a_bad_extra_source_is_named():
    with pytest.raises(AnsibleFilterError, match=r"llm_firewall_allowed_sources: 'ten\.0\.0\.1'"):
        fw.llm_firewall_sources(HOSTVARS, ["gw-1"], ["ten.0.0.1"])


def test_the_ingress_vip_is_no_hosts_address_whichever_host_holds_it():
    """keepalived's VIP shows in the holder's facts only: left out, the rules do not follow it."""
    holder = {
        "llm_ingress_vip_address": "10.0.0.9",
        "ansible_facts": {"all_ipv4_addresses": ["10.0.0.7", "10.0.0.9"]},
    }
    other = {"llm_ingress_vip_address": " 10.0.0.9", "ansible_facts": {"all_ipv4_addresses": ["10.0.0.8"]}}
    assert fw.llm_firewall_sources({"lb-1": holder, "lb-2": other}, ["lb-1", "lb-2"]) == {
        "ipv4": ["10.0.0.7", "10.0.0.8"],
        "ipv6": [],
    }
