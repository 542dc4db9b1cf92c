"""The gateway's model_list: the litellm role's filter (roles/litellm/filter_plugins) tested directly,
and once through the role's templates (keys in the env file, never in config.yaml)."""

from __future__ import annotations

import pytest

from tests.conftest import load_file_module
from tests.support.backends import registry
from tests.support.gateway import render_gateway

MODEL = "smollm2-135m-instruct"
GGUF = {"url": "http://m/x.gguf", "sha256": "b" * 64}
plugin = load_file_module("roles/litellm/filter_plugins/litellm_model_list.py")


def deployments(hosts: dict, catalog: list, gateway: str = "gw"):
    return plugin.litellm_deployments(hosts, list(hosts), catalog, registry(), gateway)


def test_one_deployment_per_backend_host_with_its_own_key():
    out = deployments(
        {
            "b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1"},
            "b2": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.2", "llama_cpp_port": 8081},
        },
        [
            {"name": MODEL, "backend": "llama_cpp", "gguf": GGUF},
            {"name": "other", "backend": "vllm", "hf": {}},
        ],
    )
    assert [d["entry"]["model_name"] for d in out] == [MODEL, MODEL]  # load-balanced name, no vllm entry
    assert [d["entry"]["litellm_params"] for d in out] == [
        {
            "model": f"openai/{MODEL}",
            "api_base": "http://10.0.0.1:8080/v1",
            "api_key": "os.environ/LLM_BACKEND_KEY_B1",
        },
        {
            "model": f"openai/{MODEL}",
            "api_base": "http://10.0.0.2:8081/v1",
            "api_key": "os.environ/LLM_BACKEND_KEY_B2",
        },
    ]
    assert [d["entry"]["model_info"]["id"] for d in out] == [f"b1/{MODEL}", f"b2/{MODEL}"]


def test_remote_backend_on_loopback_is_refused_naming_the_variable():
    with pytest.raises(
        plugin.AnsibleFilterError, match=r"llama_cpp_host is 127\.0\.0\.1.*must not bind loopback"
    ):
        deployments(
            {"b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "127.0.0.1"}},
            [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}],
        )
    # On the gateway's own host, loopback is right.
    assert deployments(
        {"gw": {"llm_backend": "llama_cpp"}}, [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}]
    )


def test_ollama_routes_with_ollama_chat_and_no_key():
    out = deployments(
        {"o1": {"llm_backend": "ollama", "ollama_host": "10.0.0.3"}},
        [
            {"name": MODEL, "backend": "ollama", "gguf": GGUF},
            {"name": "llama3", "backend": "ollama", "ollama": "llama3.2:1b"},
        ],
    )
    assert [(d["entry"]["model_name"], d["entry"]["litellm_params"], d["key_env"]) for d in out] == [
        (MODEL, {"model": f"ollama_chat/{MODEL}", "api_base": "http://10.0.0.3:11434"}, ""),
        ("llama3", {"model": "ollama_chat/llama3.2:1b", "api_base": "http://10.0.0.3:11434"}, ""),
    ]


def test_vllm_routes_with_hosted_vllm_and_its_key_unless_disabled():
    catalog = [{"name": MODEL, "backend": "vllm", "hf": {"repo": "org/model"}}]
    out = deployments({"v1": {"llm_backend": "vllm", "vllm_host": "10.0.0.4", "vllm_port": 8001}}, catalog)
    assert out[0]["entry"]["litellm_params"] == {
        "model": f"hosted_vllm/{MODEL}",
        "api_base": "http://10.0.0.4:8001/v1",
        "api_key": "os.environ/LLM_BACKEND_KEY_V1",
    }
    unkeyed = deployments(
        {"v1": {"llm_backend": "vllm", "vllm_host": "10.0.0.4", "vllm_api_key_enabled": False}}, catalog
    )
    assert "api_key" not in unkeyed[0]["entry"]["litellm_params"]


def test_external_endpoint_is_routed_with_its_key_file_and_timeout():
    out = deployments(
        {},
        [
            {
                "name": "remote",
                "backend": "openai_compatible",
                "endpoint": {
                    "base_url": "https://llm.example/v1/",
                    "api_key_file": "/k",
                    "timeout": 30,
                    "model": "m7",
                },
            }
        ],
    )
    assert out == [
        {
            "host": "",
            "backend": "openai_compatible",
            "key_env": "LLM_ENDPOINT_KEY_REMOTE",
            "key_file": "/k",
            "capabilities": ["chat"],
            "entry": {
                "model_name": "remote",
                "litellm_params": {
                    "model": "openai/m7",
                    "api_base": "https://llm.example/v1",
                    "timeout": 30,
                    "api_key": "os.environ/LLM_ENDPOINT_KEY_REMOTE",
                },
                "model_info": {
                    "id": "openai_compatible/remote",
                    "mode": "chat",
                    "supports_function_calling": False,
                    "supports_tool_choice": False,
                    "supports_response_schema": False,
                },
            },
        }
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "backend": "tgi", "gguf": GGUF}, "backend 'tgi' is not in the backend registry"),
        (
            {"name": "x", "backend": "llama_cpp", "hf": {}},
            "a llama_cpp entry takes one source of \\['gguf'\\]",
        ),
        (
            {"name": "x", "backend": "openai_compatible", "endpoint": {"base_url": "ftp://x"}},
            "endpoint.base_url",
        ),
        (
            {"name": "x", "backend": "openai_compatible", "endpoint": {"base_url": "http://x", "timeout": 0}},
            "timeout",
        ),
        ({"name": "x", "backend": "llama_cpp", "gguf": GGUF, "fallbacks": ["nope"]}, "fallback 'nope'"),
        ({"backend": "llama_cpp", "gguf": GGUF}, "needs a `name`"),
        (
            {"name": "x", "backend": "llama_cpp", "gguf": GGUF, "cost_per_1m_tokens": {"input": -1}},
            "cost_per_1m",
        ),
        ({"name": "x", "backend": "llama_cpp", "gguf": GGUF, "cost_per_1m_tokens": {"in": 1}}, "cost_per_1m"),
        (
            {"name": "x", "backend": "llama_cpp", "gguf": GGUF, "cost_per_1m_tokens": {"input": "1"}},
            "cost_per_1m",
        ),
        ({"name": "x", "backend": "llama_cpp", "gguf": GGUF, "cost_per_1m_tokens": {}}, "cost_per_1m"),
    ],
)
def test_bad_catalog_entries_are_refused_by_name(entry, message):
    with pytest.raises(plugin.AnsibleFilterError, match=message):
        deployments({"gw": {"llm_backend": "llama_cpp"}}, [entry])


def test_a_catalog_price_becomes_litellms_per_token_costs_for_every_deployment():
    out = deployments(
        {"b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1"}},
        [
            {
                "name": MODEL,
                "backend": "llama_cpp",
                "gguf": GGUF,
                "cost_per_1m_tokens": {"input": 2, "output": 6.5},
            },
            {
                "name": "remote",
                "backend": "openai_compatible",
                "endpoint": {"base_url": "https://llm.example/v1"},
                "cost_per_1m_tokens": {"output": 1},
            },
            {
                "name": "free",
                "backend": "openai_compatible",
                "endpoint": {"base_url": "https://llm.example/v1"},
            },
        ],
    )
    params = [d["entry"]["litellm_params"] for d in out]
    assert params[0]["input_cost_per_token"] == pytest.approx(2e-6)
    assert params[0]["output_cost_per_token"] == pytest.approx(6.5e-6)
    assert params[1]["output_cost_per_token"] == pytest.approx(1e-6)
    assert "input_cost_per_token" not in params[1]
    assert not {"input_cost_per_token", "output_cost_per_token"} & set(params[2])


EMBED = {"name": "minilm", "backend": "llama_cpp", "gguf": GGUF, "capabilities": ["embedding"], "port": 8081}


def test_capabilities_become_model_info_and_a_per_model_port():
    out = deployments(
        {"b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1", "llama_cpp_port": 9000}},
        [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF, "capabilities": ["chat", "tools"]}, EMBED],
    )
    assert [(d["entry"]["litellm_params"]["api_base"], d["entry"]["model_info"]) for d in out] == [
        (
            "http://10.0.0.1:9000/v1",
            {
                "id": f"b1/{MODEL}",
                "mode": "chat",
                "supports_function_calling": True,
                "supports_tool_choice": True,
                "supports_response_schema": False,
            },
        ),
        ("http://10.0.0.1:8081/v1", {"id": "b1/minilm", "mode": "embedding"}),
    ]
    assert plugin.litellm_capabilities(out) == {MODEL: ["chat", "tools"], "minilm": ["embedding"]}


def test_a_name_can_do_only_what_every_deployment_of_it_can():
    out = deployments(
        {
            "b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1"},
            "v1": {"llm_backend": "vllm", "vllm_host": "10.0.0.4"},
        },
        [
            {
                "name": MODEL,
                "backend": "llama_cpp",
                "gguf": GGUF,
                "capabilities": ["chat", "tools", "structured_output"],
            },
            {
                "name": MODEL,
                "backend": "vllm",
                "hf": {"repo": "o/m"},
                "capabilities": ["chat", "structured_output"],
            },
        ],
    )
    assert plugin.litellm_capabilities(out) == {MODEL: ["chat", "structured_output"]}


def test_a_named_tool_choice_is_let_through_where_every_backend_of_the_name_honours_it():
    vllm_tools = {
        "name": MODEL,
        "backend": "vllm",
        "hf": {"repo": "o/m"},
        "capabilities": ["chat", "tools"],
        "tool_call_parser": "hermes",
    }
    llama_tools = {"name": MODEL, "backend": "llama_cpp", "gguf": GGUF, "capabilities": ["chat", "tools"]}
    hosts = {
        "b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1"},
        "v1": {"llm_backend": "vllm", "vllm_host": "10.0.0.4"},
    }
    only_vllm = deployments({"v1": hosts["v1"]}, [vllm_tools])
    assert plugin.litellm_capabilities(only_vllm) == {MODEL: ["chat", "tools", "tool_choice_named"]}
    both = deployments(hosts, [llama_tools, vllm_tools])
    assert plugin.litellm_capabilities(both) == {MODEL: ["chat", "tools"]}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"capabilities": ["chat", "tools"]}, "names its model's call format in tool_call_parser"),
        ({"tool_call_parser": "hermes"}, "the entry must claim `tools` too"),
    ],
)
def test_a_vllm_entry_claims_tools_with_a_parser_and_only_then(entry, message):
    with pytest.raises(plugin.AnsibleFilterError, match=message):
        deployments({}, [{"name": MODEL, "backend": "vllm", "hf": {"repo": "o/m"}, **entry}])


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"capabilities": ["tools"]}], "exactly one of chat or embedding"),
        ([{"capabilities": ["chat", "embedding"]}], "exactly one of chat or embedding"),
        ([{"capabilities": ["embedding", "tools"]}], "an embedding model has neither"),
        ([{"capabilities": ["chat", "vision"]}], "capabilities is a list of"),
        ([{}, {"name": "second"}], "every entry after the first needs its own `port`"),
        ([{"port": 8081}, {"name": "second", "port": 8081}], "port 8081 is already"),
        ([{"port": 70000}], "TCP port number"),
        (
            [{"chat_template": {"url": "http://m/t.jinja", "sha256": "x"}}],
            "chat_template takes url and sha256",
        ),
        ([{"tool_call_parser": "hermes"}], "tool_call_parser is vLLM's"),
    ],
)
def test_bad_capabilities_and_serving_settings_are_refused(entries, message):
    catalog = [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF, **e} for e in entries]
    with pytest.raises(plugin.AnsibleFilterError, match=message):
        deployments({"b1": {"llm_backend": "llama_cpp", "llama_cpp_host": "10.0.0.1"}}, catalog)


def test_a_backend_refuses_capabilities_it_does_not_offer_and_ports_it_does_not_take():
    with pytest.raises(plugin.AnsibleFilterError, match=r"ollama backend cannot serve \['embedding'\]"):
        deployments({}, [{"name": "e", "backend": "ollama", "gguf": GGUF, "capabilities": ["embedding"]}])
    with pytest.raises(plugin.AnsibleFilterError, match="one service per model"):
        deployments({}, [{"name": "o", "backend": "ollama", "gguf": GGUF, "port": 11435}])


def test_unknown_host_backend_is_refused():
    with pytest.raises(plugin.AnsibleFilterError, match="b1: llm_backend must name a deployable backend"):
        deployments(
            {"b1": {"llm_backend": "openai_compatible"}},
            [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}],
        )


def test_fallbacks_come_from_the_catalog_then_the_variable():
    catalog = [
        {"name": "local", "backend": "llama_cpp", "gguf": GGUF, "fallbacks": ["remote"]},
        {"name": "remote", "backend": "openai_compatible", "endpoint": {"base_url": "http://r/v1"}},
    ]
    assert plugin.litellm_fallbacks(catalog, [{"a": ["b"]}]) == [{"local": ["remote"]}, {"a": ["b"]}]
    assert plugin.litellm_fallbacks(catalog[1:]) == []


def test_the_role_renders_keys_into_the_env_file_only(tmp_path):
    key_file = tmp_path / "remote.key"
    key_file.write_text("sk-remote-123\n")
    result, config, env, config_file = render_gateway(
        tmp_path,
        "b1: {llm_backend: llama_cpp, llama_cpp_host: 10.0.0.1}\n"
        "b2: {llm_backend: vllm, vllm_host: 10.0.0.2}",
        [
            {"name": MODEL, "backend": "llama_cpp", "gguf": GGUF, "fallbacks": ["remote"]},
            {"name": MODEL, "backend": "vllm", "hf": {"repo": "x"}},
            {
                "name": "remote",
                "backend": "openai_compatible",
                "endpoint": {"base_url": "http://r/v1", "api_key_file": str(key_file)},
            },
        ],
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert [d["model_name"] for d in config["model_list"]] == [MODEL, MODEL, "remote"]
    assert config["router_settings"]["fallbacks"] == [{MODEL: ["remote"]}]
    assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    secrets = tmp_path / ".secrets"
    assert env["LITELLM_MASTER_KEY"] == "sk-" + (secrets / "litellm_master_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B1"] == (secrets / "b1" / "backend_api_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B2"] == (secrets / "b2" / "backend_api_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B1"] != env["LLM_BACKEND_KEY_B2"]
    assert env["LLM_ENDPOINT_KEY_REMOTE"] == "sk-remote-123"
    config_text = config_file.read_text()
    assert all(value not in config_text for value in env.values())


def test_the_role_fails_naming_the_bad_entry(tmp_path):
    result, *_ = render_gateway(
        tmp_path,
        "b1: {llm_backend: llama_cpp, llama_cpp_host: 127.0.0.1}",
        [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}],
    )
    assert result.returncode != 0
    assert "llama_cpp_host is 127.0.0.1" in result.stdout
