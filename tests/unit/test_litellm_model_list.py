"""The gateway's model_list, rendered from a multi-backend inventory on the controller."""

import yaml

from tests.conftest import ansible_playbook

MODEL = "smollm2-135m-instruct"
CATALOG = (
    '{"llm_models": [{"name": "' + MODEL + '", "backend": "llama_cpp", "gguf": {"url": "http://m/x.gguf",'
    ' "sha256": "' + "b" * 64 + '"}}, {"name": "other", "backend": "vllm"}]}'
)


def _inventory(tmp_path, b2_host="10.0.0.2"):
    inv = tmp_path / "hosts.yml"
    inv.write_text(f"""
all:
  vars:
    ansible_connection: local
  children:
    llm_backends:
      hosts:
        b1: {{llm_backend: llama_cpp, llama_cpp_host: 10.0.0.1}}
        b2: {{llm_backend: llama_cpp, llama_cpp_host: {b2_host}, llama_cpp_port: 8081}}
    llm_gateway:
      hosts:
        gw: {{}}
""")
    return inv


def _render(tmp_path, inventory):
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
        CATALOG,
        inventory=inventory,
        local=True,
    )
    return result, render


def test_one_deployment_per_backend_host_with_its_own_key(tmp_path):
    result, render = _render(tmp_path, _inventory(tmp_path))
    assert result.returncode == 0, result.stdout[-2000:]
    config = yaml.safe_load((render / "config.yaml").read_text())
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

    env = dict(
        line.split("=", 1)
        for line in (render / "litellm.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    secrets = tmp_path / ".secrets"
    assert env["LITELLM_MASTER_KEY"] == "sk-" + (secrets / "litellm_master_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B1"] == (secrets / "b1" / "backend_api_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B2"] == (secrets / "b2" / "backend_api_key").read_text().strip()
    assert env["LLM_BACKEND_KEY_B1"] != env["LLM_BACKEND_KEY_B2"]
    config_text = (render / "config.yaml").read_text()
    assert all(value not in config_text for value in env.values())


def test_remote_backend_on_loopback_is_refused(tmp_path):
    result, _ = _render(tmp_path, _inventory(tmp_path, b2_host="127.0.0.1"))
    assert result.returncode != 0
    assert "must not bind loopback" in result.stdout


def test_ollama_backend_routes_with_ollama_chat_and_no_key(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("""
all:
  vars:
    ansible_connection: local
  children:
    llm_backends:
      hosts:
        o1: {llm_backend: ollama, ollama_host: 10.0.0.3}
    llm_gateway:
      hosts:
        gw: {}
""")
    catalog = (
        '{"llm_models": [{"name": "' + MODEL + '", "backend": "ollama", "gguf": {"url": "http://m/x.gguf",'
        ' "sha256": "' + "b" * 64 + '"}}, {"name": "llama3", "backend": "ollama", "ollama": "llama3.2:1b"}]}'
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
        catalog,
        inventory=inv,
        local=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    deployments = yaml.safe_load((render / "config.yaml").read_text())["model_list"]
    assert [(d["model_name"], d["litellm_params"]) for d in deployments] == [
        (MODEL, {"model": f"ollama_chat/{MODEL}", "api_base": "http://10.0.0.3:11434"}),
        ("llama3", {"model": "ollama_chat/llama3.2:1b", "api_base": "http://10.0.0.3:11434"}),
    ]
    env_keys = [
        line.split("=", 1)[0]
        for line in (render / "litellm.env").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert env_keys == ["LITELLM_MASTER_KEY"]


def test_vllm_backend_routes_with_hosted_vllm_and_its_key(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("""
all:
  vars:
    ansible_connection: local
  children:
    llm_backends:
      hosts:
        v1: {llm_backend: vllm, vllm_host: 10.0.0.4, vllm_port: 8001}
    llm_gateway:
      hosts:
        gw: {}
""")
    catalog = '{"llm_models": [{"name": "' + MODEL + '", "backend": "vllm", "hf": {"repo": "org/model"}}]}'
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
        catalog,
        inventory=inv,
        local=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    deployments = yaml.safe_load((render / "config.yaml").read_text())["model_list"]
    assert [d["litellm_params"] for d in deployments] == [
        {
            "model": f"hosted_vllm/{MODEL}",
            "api_base": "http://10.0.0.4:8001/v1",
            "api_key": "os.environ/LLM_BACKEND_KEY_V1",
        }
    ]
    env = (render / "litellm.env").read_text()
    assert (
        "LLM_BACKEND_KEY_V1=" + (tmp_path / ".secrets" / "v1" / "backend_api_key").read_text().strip() in env
    )
