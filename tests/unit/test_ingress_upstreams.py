"""Which LiteLLM instances an ingress host balances across (roles/llm_ingress/filter_plugins)."""

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import load_file_module

plugin = load_file_module("roles/llm_ingress/filter_plugins/llm_ingress_upstreams.py")


def _facts(address):
    return {"ansible_facts": {"default_ipv4": {"address": address}}}


def test_without_an_ingress_group_the_gateway_fronts_its_own_litellm_on_loopback():
    hostvars = {"gw1": {**_facts("10.0.0.1"), "litellm_port": 4100}, "gw2": _facts("10.0.0.2")}
    assert plugin.llm_ingress_upstreams(["gw1", "gw2"], hostvars, "gw1", False) == [
        {"name": "litellm", "address": "127.0.0.1", "port": 4100}
    ]
    assert plugin.llm_ingress_upstreams(["gw1"], {}, "gw1", False, 4001)[0]["port"] == 4001


def test_an_ingress_host_balances_across_every_gateway_at_its_private_address():
    hostvars = {"gw-1": _facts("10.0.0.1"), "gw.2": {**_facts("10.0.0.2"), "litellm_port": "4100"}}
    assert plugin.llm_ingress_upstreams(["gw-1", "gw.2"], hostvars, "lb", True) == [
        {"name": "gw-1", "address": "10.0.0.1", "port": 4000},
        {"name": "gw.2", "address": "10.0.0.2", "port": 4100},
    ]


def test_a_gateway_without_facts_is_named():
    with pytest.raises(AnsibleFilterError, match="no address facts for gateway gw2"):
        plugin.llm_ingress_upstreams(["gw1", "gw2"], {"gw1": _facts("10.0.0.1")}, "lb", True)


def test_an_empty_gateway_group_is_refused():
    with pytest.raises(AnsibleFilterError, match="no hosts"):
        plugin.llm_ingress_upstreams([], {}, "lb", True)


def test_the_drain_addresses_the_server_name_the_configuration_gives_a_gateway():
    """playbooks/upgrade.yml drains a gateway by llm_ingress_upstream_name(host): the same name the
    upstream list (and so haproxy.cfg) gives it, odd characters included."""
    hostvars = {"gw 1+a": _facts("10.0.0.1")}
    (upstream,) = plugin.llm_ingress_upstreams(["gw 1+a"], hostvars, "lb", True)
    assert upstream["name"] == plugin.llm_ingress_upstream_name("gw 1+a") == "gw_1_a"
