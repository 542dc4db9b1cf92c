"""The gateway's model_list, rendered from multi-backend inventories on the controller."""

import json

import yaml

from tests.conftest import ansible_playbook

MODEL = "smollm2-135m-instruct"
GGUF = {"url": "http://m/x.gguf", "sha256": "b" * 64}


def _render(tmp_path, backends: str, catalog: list[dict]):
    """Render config.yaml and litellm.env for gateway `gw` with these backend hosts (YAML lines)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n  children:\n"
        "    llm_backends:\n      hosts:\n"
        + "".join(f"        {line}\n" for line in backends.splitlines())
        + "    llm_gateway:\n      hosts:\n        gw: {}\n"
    )
    render = tmp_path / "render"
    render.mkdir()
    result = ansible_playbook(
        "tests/playbooks/model_list.yml",
        "-e",
        "gateway_host=gw",
        "-e",
        f"render_dir={render}",
        "-e",
        f"llm_secrets_dir={tmp_path}/.secrets",
        "-e",
        json.dumps({"llm_models": catalog}),
        inventory=inventory,
        local=True,
    )
    config = yaml.safe_load((render / "config.yaml").read_text()) if result.returncode == 0 else None
    env_text = (render / "litellm.env").read_text() if result.returncode == 0 else ""
    env = dict(line.split("=", 1) for line in env_text.splitlines() if line and not line.startswith("#"))
    return result, config, env, (render / "config.yaml")


def _secret(tmp_path, *parts):
    return tmp_path.joinpath(".secrets", *parts).read_text().strip()


def test_one_deployment_per_backend_host_with_its_own_key(tmp_path):
    result, config, env, config_file = _render(
        tmp_path,
        "b1: {llm_backend: llama_cpp, llama_cpp_host: 10.0.0.1}\n"
        "b2: {llm_backend: llama_cpp, llama_cpp_host: 10.0.0.2, llama_cpp_port: 8081}",
        [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}, {"name": "other", "backend": "vllm"}],
    )
    assert result.returncode == 0, result.stdout[-2000:]
    deployments = config["model_list"]
    assert [d["model_name"] for d in deployments] == [MODEL, MODEL]  # load-balanced name, no vllm entry
    assert [d["litellm_params"]["api_base"] for d in deployments] == [
        "http://10.0.0.1:8080/v1",
        "http://10.0.0.2:8081/v1",
    ]
    assert [d["litellm_params"]["api_key"] for d in deployments] == [
        "os.environ/LLM_BACKEND_KEY_B1",
        "os.environ/LLM_BACKEND_KEY_B2",
    ]
    assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert config["router_settings"]["num_retries"] == 2

    assert env["LITELLM_MASTER_KEY"] == "sk-" + _secret(tmp_path, "litellm_master_key")
    assert env["LLM_BACKEND_KEY_B1"] == _secret(tmp_path, "b1", "backend_api_key")
    assert env["LLM_BACKEND_KEY_B2"] == _secret(tmp_path, "b2", "backend_api_key")
    assert env["LLM_BACKEND_KEY_B1"] != env["LLM_BACKEND_KEY_B2"]
    config_text = config_file.read_text()
    assert all(value not in config_text for value in env.values())


def test_remote_backend_on_loopback_is_refused(tmp_path):
    result, *_ = _render(
        tmp_path,
        "b1: {llm_backend: llama_cpp, llama_cpp_host: 10.0.0.1}\n"
        "b2: {llm_backend: llama_cpp, llama_cpp_host: 127.0.0.1}",
        [{"name": MODEL, "backend": "llama_cpp", "gguf": GGUF}],
    )
    assert result.returncode != 0
    assert "must not bind loopback" in result.stdout


def test_ollama_backend_routes_with_ollama_chat_and_no_key(tmp_path):
    result, config, env, _ = _render(
        tmp_path,
        "o1: {llm_backend: ollama, ollama_host: 10.0.0.3}",
        [
            {"name": MODEL, "backend": "ollama", "gguf": GGUF},
            {"name": "llama3", "backend": "ollama", "ollama": "llama3.2:1b"},
        ],
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert [(d["model_name"], d["litellm_params"]) for d in config["model_list"]] == [
        (MODEL, {"model": f"ollama_chat/{MODEL}", "api_base": "http://10.0.0.3:11434"}),
        ("llama3", {"model": "ollama_chat/llama3.2:1b", "api_base": "http://10.0.0.3:11434"}),
    ]
    assert list(env) == ["LITELLM_MASTER_KEY"]


def test_vllm_backend_routes_with_hosted_vllm_and_its_key(tmp_path):
    result, config, env, _ = _render(
        tmp_path,
        "v1: {llm_backend: vllm, vllm_host: 10.0.0.4, vllm_port: 8001}",
        [{"name": MODEL, "backend": "vllm", "hf": {"repo": "org/model"}}],
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert [d["litellm_params"] for d in config["model_list"]] == [
        {
            "model": f"hosted_vllm/{MODEL}",
            "api_base": "http://10.0.0.4:8001/v1",
            "api_key": "os.environ/LLM_BACKEND_KEY_V1",
        }
    ]
    assert env["LLM_BACKEND_KEY_V1"] == _secret(tmp_path, "v1", "backend_api_key")
