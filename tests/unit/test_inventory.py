import yaml

from llm_onprem.inventory import published_port, sandbox_hosts
from tests.conftest import ROOT


def test_sandbox_inventory_hosts_and_published_gateway():
    specs = {s.name: s for s in sandbox_hosts(ROOT / "inventories/sandbox/hosts.yml", 14000)}
    assert set(specs) == {"llm-onprem-backend-1", "llm-onprem-gateway-1"}
    assert specs["llm-onprem-backend-1"].publish is None
    assert specs["llm-onprem-gateway-1"].publish == {"443/tcp": ("127.0.0.1", 14000)}


def test_hosts_in_several_groups_are_started_once(tmp_path):
    hosts = tmp_path / "hosts.yml"
    hosts.write_text(
        "all:\n  children:\n"
        "    llm_backends:\n      hosts:\n        one:\n          llm_backend: llama_cpp\n"
        "    llm_gateway:\n      hosts:\n        one:\n          sandbox_publish_port: 4000\n"
    )
    specs = sandbox_hosts(hosts, 4000)
    assert [s.name for s in specs] == ["one"]
    assert specs[0].publish == {"4000/tcp": ("127.0.0.1", 4000)}


def test_the_ha_sandbox_publishes_on_its_own_port_beside_the_small_one():
    """CI runs both sandboxes at once: each inventory's endpoint has a loopback port of its own, and
    their host names differ."""
    small = ROOT / "inventories/sandbox/hosts.yml"
    ha = ROOT / "inventories/sandbox-ha/hosts.yml"
    assert published_port(small, 4000) == 4000
    assert published_port(ha, 4000) == 4001
    specs = {s.name: s for s in sandbox_hosts(ha, 4000)}
    assert specs["llm-onprem-ha-ingress-1"].publish == {"443/tcp": ("127.0.0.1", 4001)}
    assert not {s.name for s in sandbox_hosts(small, 4000)} & set(specs)


def test_the_published_port_is_the_default_without_a_publishing_host(tmp_path):
    hosts = tmp_path / "hosts.yml"
    hosts.write_text("all:\n  hosts:\n    one:\n")
    assert published_port(hosts, 4321) == 4321


def test_the_ha_sandbox_shares_the_small_ones_variables_and_serves_its_chat_model_alone():
    """The HA sandbox reads the small sandbox's variables, then its own catalog (a later file of the
    group_vars directory wins): the small sandbox's first entry, nothing else."""
    ha_vars = ROOT / "inventories/sandbox-ha/group_vars/all"
    assert (ha_vars / "00-sandbox.yml").resolve() == ROOT / "inventories/sandbox/group_vars/all.yml"
    small = yaml.safe_load((ha_vars / "00-sandbox.yml").read_text())["llm_models"]
    assert yaml.safe_load((ha_vars / "10-catalog.yml").read_text())["llm_models"] == small[:1]
