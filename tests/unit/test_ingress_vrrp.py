"""The VRRP instance of each ingress host (roles/llm_ingress/filter_plugins/llm_ingress_vrrp.py)."""

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import load_file_module

plugin = load_file_module("roles/llm_ingress/filter_plugins/llm_ingress_vrrp.py")
HOSTS = ["lb-1", "lb-2", "lb-3"]
THREE = ("10.0.0.11", "10.0.0.12", "10.0.0.13")


def _hostvars(*addresses):
    return {
        h: {"ansible_facts": {"default_ipv4": {"address": a}}} for h, a in zip(HOSTS, addresses, strict=False)
    }


def test_each_host_adverts_to_the_others_from_its_own_address_first_host_highest():
    hostvars = _hostvars(*THREE)
    first = plugin.llm_ingress_vrrp("10.0.0.5", HOSTS, hostvars, "lb-1")
    second = plugin.llm_ingress_vrrp(" 10.0.0.5 ", HOSTS, hostvars, "lb-2")
    assert first == {
        "vip": "10.0.0.5",
        "source": "10.0.0.11",
        "peers": ["10.0.0.12", "10.0.0.13"],
        "priority": 200,
    }
    assert second == {
        "vip": "10.0.0.5",
        "source": "10.0.0.12",
        "peers": ["10.0.0.11", "10.0.0.13"],
        "priority": 190,
    }
    assert plugin.llm_ingress_vrrp("10.0.0.5", HOSTS, hostvars, "lb-3", priority=250)["priority"] == 250


@pytest.mark.parametrize(
    ("vip", "message"),
    [
        ("", "llm_ingress_vip_address: '' is not an IPv4 address"),
        ("10.0.0.300", "is not an IPv4 address"),
        ("fd00::5", "is not an IPv4 address"),
        ("10.0.0.12", "10.0.0.12 is the address of lb-2"),
    ],
)
def test_a_bad_virtual_address_is_refused_naming_the_variable(vip, message):
    with pytest.raises(AnsibleFilterError, match=message):
        plugin.llm_ingress_vrrp(vip, HOSTS, _hostvars(*THREE), "lb-1")


def test_missing_facts_and_a_bad_priority_are_refused_naming_what_to_do():
    with pytest.raises(AnsibleFilterError, match="no address facts for ingress host lb-3"):
        plugin.llm_ingress_vrrp("10.0.0.5", HOSTS, _hostvars("10.0.0.11", "10.0.0.12"), "lb-1")
    with pytest.raises(AnsibleFilterError, match="llm_ingress_vip_priority: 255 is outside 1-254"):
        plugin.llm_ingress_vrrp("10.0.0.5", HOSTS, _hostvars(*THREE), "lb-1", 255)
    with pytest.raises(AnsibleFilterError, match="lb-9 is not a host of llm_ingress_group"):
        plugin.llm_ingress_vrrp("10.0.0.5", HOSTS, _hostvars(*THREE), "lb-9")


def test_an_address_counted_from_the_end_of_a_network():
    assert plugin.llm_ingress_address_in("172.27.0.0/16", -2) == "172.27.255.254"
    assert plugin.llm_ingress_address_in("172.27.0.4/255.255.0.0", -2) == "172.27.255.254"
    assert plugin.llm_ingress_address_in("10.1.2.0/24", 10) == "10.1.2.10"
    with pytest.raises(AnsibleFilterError, match="llm_ingress_address_in"):
        plugin.llm_ingress_address_in("10.1.2.0/30", 9)
