"""The scrape configs the monitoring host gets from the inventory and the registry (WIP, issue 18)."""

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


GROUPS = {"llm_backends": ["be-1", "be-2", "ol-1"], "llm_gateway": ["gw-1"], "ungrouped": []}
HOSTVARS = {
    "be-1": _facts("10.0.0.1", llm_backend="llama_cpp"),
    "be-2": _facts("10.0.0.2", llm_backend="vllm", vllm_port=8100),
    "ol-1": _facts("10.0.0.3", llm_backend="ollama"),
    "gw-1": _facts("10.0.0.9", litellm_port=4100),
}


def _by_job(configs):
    return {c["job_name"]: c for c in configs}


def test_every_host_node_exporter_each_backend_with_metrics_and_each_gateway():
    jobs = _by_job(plugin.llm_monitoring_scrape_configs(GROUPS, HOSTVARS, REGISTRY, "/etc/prometheus/keys"))
    assert sorted(jobs) == [
        "litellm:gw_1",
        "llama_cpp:be_1",
        "node:be_1",
        "node:be_2",
        "node:gw_1",
        "node:ol_1",
        "vllm:be_2",
    ]
    assert jobs["llama_cpp:be_1"]["static_configs"] == [
        {"targets": ["10.0.0.1:8080"], "labels": {"host": "be-1", "backend": "llama_cpp"}}
    ]
    assert jobs["llama_cpp:be_1"]["metrics_path"] == "/metrics"
    assert jobs["llama_cpp:be_1"]["authorization"] == {"credentials_file": "/etc/prometheus/keys/be_1.key"}
    assert jobs["vllm:be_2"]["static_configs"][0]["targets"] == ["10.0.0.2:8100"]
    assert jobs["litellm:gw_1"]["static_configs"][0]["targets"] == ["10.0.0.9:4100"]
    assert jobs["litellm:gw_1"]["metrics_path"] == "/metrics/"
    # Ollama has no /metrics: the synthetic probe covers it.
    assert not any(j.startswith("ollama:") for j in jobs)


def test_gpu_sites_add_the_dcgm_exporter_on_each_backend_host():
    jobs = _by_job(plugin.llm_monitoring_scrape_configs(GROUPS, HOSTVARS, REGISTRY, "/k", gpu=True))
    assert {j for j in jobs if j.startswith("dcgm:")} == {"dcgm:be_1", "dcgm:be_2", "dcgm:ol_1"}
    assert jobs["dcgm:be_1"]["static_configs"][0]["targets"] == ["10.0.0.1:9400"]


def test_an_unknown_backend_and_a_host_without_facts_are_named():
    with pytest.raises(AnsibleFilterError, match="be-1 has llm_backend 'tgi'"):
        plugin.llm_monitoring_scrape_configs(
            {"llm_backends": ["be-1"]}, {"be-1": _facts("10.0.0.1", llm_backend="tgi")}, REGISTRY, "/k"
        )
    with pytest.raises(AnsibleFilterError, match="no address facts for gw-1"):
        plugin.llm_monitoring_scrape_configs({"llm_gateway": ["gw-1"]}, {}, REGISTRY, "/k")
