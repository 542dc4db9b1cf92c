from llm_onprem.inventory import sandbox_hosts
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
