"""What the monitoring host scrapes and probes, from the inventory and the registry
(roles/llm_monitoring/filter_plugins/llm_monitoring_scrape.py)."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.conftest import ROOT, load_file_module

plugin = load_file_module("roles/llm_monitoring/filter_plugins/llm_monitoring_scrape.py")
REGISTRY = yaml.safe_load((ROOT / "roles/llm_registry/defaults/main.yml").read_text())[
    "llm_registry_backends"
]


def _facts(address, **extra):
    return {"ansible_facts": {"default_ipv4": {"address": address}}, **extra}


GROUPS = {
    "all": ["be-1", "be-2", "ol-1", "gw-1", "mon-1"],
    "llm_backends": ["be-1", "be-2", "ol-1"],
    "llm_gateway": ["gw-1"],
    "ungrouped": ["mon-1"],
}
HOSTVARS = {
    "be-1": _facts("10.0.0.1", llm_backend="llama_cpp"),
    "be-2": _facts("10.0.0.2", llm_backend="vllm", vllm_port=8100),
    "ol-1": _facts("10.0.0.3", llm_backend="ollama"),
    "gw-1": _facts("10.0.0.9", litellm_port=4100),
    "mon-1": _facts("10.0.0.10"),
}
CATALOG = [
    {"name": "chat", "backend": "llama_cpp"},
    {"name": "chat", "backend": "ollama", "gguf": {}},
    {"name": "tiny", "backend": "ollama", "ollama": "qwen2:0.5b"},
    {"name": "chat", "backend": "vllm"},
]


def _by_job(configs):
    return {c["job_name"]: c for c in configs}


def test_every_host_node_exporter_each_backend_with_metrics_and_each_gateway():
    jobs = _by_job(plugin.llm_monitoring_scrape_configs(GROUPS, HOSTVARS, REGISTRY, "/etc/k"))
    assert sorted(jobs) == [
        "litellm:gw_1",
        "llama_cpp:be_1",
        "node:be_1",
        "node:be_2",
        "node:gw_1",
        "node:mon_1",  # an ungrouped host is a host too
        "node:ol_1",
        "vllm:be_2",
    ]
    assert jobs["llama_cpp:be_1"]["static_configs"] == [
        {
            "targets": ["10.0.0.1:8080"],
            "labels": {"job": "llama_cpp", "instance": "be-1", "backend": "llama_cpp"},
        }
    ]
    assert jobs["llama_cpp:be_1"]["metrics_path"] == "/metrics"
    # Each backend's own key, from a file Prometheus reads (never in the configuration).
    assert jobs["llama_cpp:be_1"]["authorization"] == {"credentials_file": "/etc/k/be_1.key"}
    assert jobs["vllm:be_2"]["static_configs"][0]["targets"] == ["10.0.0.2:8100"]
    assert jobs["node:gw_1"]["static_configs"][0] == {
        "targets": ["10.0.0.9:9100"],
        "labels": {"job": "node", "instance": "gw-1"},
    }
    # LiteLLM: open on the private address (firewalled), no credential.
    assert jobs["litellm:gw_1"]["static_configs"][0]["targets"] == ["10.0.0.9:4100"]
    assert jobs["litellm:gw_1"]["metrics_path"] == "/metrics/"
    assert "authorization" not in jobs["litellm:gw_1"]
    # Ollama has no /metrics: the synthetic probe covers it.
    assert not any(j.startswith("ollama:") for j in jobs)


def test_gpu_hosts_add_the_dcgm_exporter_and_ports_follow_the_variables():
    groups = {**GROUPS, "nvidia_gpu": ["be-2"]}
    jobs = _by_job(
        plugin.llm_monitoring_scrape_configs(groups, HOSTVARS, REGISTRY, "/k", node_port=9101, dcgm_port=9401)
    )
    assert {j for j in jobs if j.startswith("dcgm:")} == {"dcgm:be_2"}
    assert jobs["dcgm:be_2"]["static_configs"][0]["targets"] == ["10.0.0.2:9401"]
    assert jobs["node:be_1"]["static_configs"][0]["targets"] == ["10.0.0.1:9101"]


def test_probe_targets_per_backend_host_and_catalog_entry():
    targets = plugin.llm_monitoring_probe_targets(GROUPS, HOSTVARS, REGISTRY, CATALOG, "/etc/k")
    assert targets == [
        {
            "name": "be-1/chat",
            "kind": "llama_cpp",
            "url": "http://10.0.0.1:8080/v1",
            "model": "chat",
            "key_file": "/etc/k/be_1.key",
        },
        {
            "name": "be-2/chat",
            "kind": "vllm",
            "url": "http://10.0.0.2:8100/v1",
            "model": "chat",
            "key_file": "/etc/k/be_2.key",
        },
        # Ollama: no key; a GGUF entry is served under its catalog name, a library model under its tag.
        {"name": "ol-1/chat", "kind": "ollama", "url": "http://10.0.0.3:11434/v1", "model": "chat"},
        {"name": "ol-1/tiny", "kind": "ollama", "url": "http://10.0.0.3:11434/v1", "model": "qwen2:0.5b"},
    ]


def test_backend_keys_only_where_the_backend_requires_one():
    hostvars = {**HOSTVARS, "be-2": {**HOSTVARS["be-2"], "vllm_api_key_enabled": False}}
    keys = plugin.llm_monitoring_backend_keys(GROUPS, hostvars, REGISTRY)
    assert keys == [{"host": "be-1", "slug": "be_1", "role": "llama_cpp"}]


def test_an_unknown_backend_and_a_host_without_facts_are_named():
    with pytest.raises(AnsibleFilterError, match="be-1 has llm_backend 'tgi'"):
        plugin.llm_monitoring_scrape_configs(
            {"llm_backends": ["be-1"]}, {"be-1": _facts("10.0.0.1", llm_backend="tgi")}, REGISTRY, "/k"
        )
    with pytest.raises(AnsibleFilterError, match="no address facts for gw-1"):
        plugin.llm_monitoring_scrape_configs({"llm_gateway": ["gw-1"]}, {}, REGISTRY, "/k")


def test_the_gateway_url_is_the_ingress_vip_else_the_first_ingress_or_gateway_host():
    groups = {"llm_ingress": ["in-1", "in-2"], "llm_gateway": ["gw-1"]}
    hostvars = {
        "in-1": _facts("10.0.0.5", llm_ingress_vip_address="10.0.0.100 "),
        "in-2": _facts("10.0.0.6"),
        "gw-1": _facts("10.0.0.9", llm_ingress_port=8443),
    }
    assert plugin.llm_monitoring_gateway_url(groups, hostvars) == "https://10.0.0.100:443/v1"
    hostvars["in-1"] = _facts("10.0.0.5")
    assert plugin.llm_monitoring_gateway_url(groups, hostvars) == "https://10.0.0.5:443/v1"
    assert (
        plugin.llm_monitoring_gateway_url({"llm_gateway": ["gw-1"]}, hostvars) == "https://10.0.0.9:8443/v1"
    )
    assert plugin.llm_monitoring_gateway_url({}, hostvars) == ""


def test_a_llama_cpp_host_with_two_models_is_scraped_per_model_and_probed_for_chat_only():
    catalog = [
        {"name": "chat", "backend": "llama_cpp"},
        {"name": "minilm", "backend": "llama_cpp", "port": 8081, "capabilities": ["embedding"]},
        {"name": "coder", "backend": "llama_cpp", "port": 8082, "capabilities": ["chat", "tools"]},
    ]
    groups = {"all": ["be-1"], "llm_backends": ["be-1"]}
    jobs = _by_job(plugin.llm_monitoring_scrape_configs(groups, HOSTVARS, REGISTRY, "/k", catalog=catalog))
    assert {
        name: job["static_configs"][0]["targets"] for name, job in jobs.items() if name != "node:be_1"
    } == {
        "llama_cpp:be_1": ["10.0.0.1:8080"],
        "llama_cpp:be_1:minilm": ["10.0.0.1:8081"],
        "llama_cpp:be_1:coder": ["10.0.0.1:8082"],
    }
    assert jobs["llama_cpp:be_1:minilm"]["static_configs"][0]["labels"]["model"] == "minilm"
    targets = plugin.llm_monitoring_probe_targets(groups, HOSTVARS, REGISTRY, catalog, "/k")
    assert [(t["model"], t["url"]) for t in targets] == [
        ("chat", "http://10.0.0.1:8080/v1"),
        ("coder", "http://10.0.0.1:8082/v1"),
    ]
