"""The gateway's shared Redis (litellm_redis_host): router state, the coordination Redis and, only when
turned on, the response cache, all with the password by reference to the 0600 env file."""

from __future__ import annotations

import json

from tests.conftest import ansible_playbook
from tests.support.gateway import render_gateway

MODEL = "smollm2-135m-instruct"
CATALOG = [{"name": MODEL, "backend": "llama_cpp", "gguf": {"url": "http://m/x.gguf", "sha256": "b" * 64}}]
BACKENDS = "b1: {llm_backend: llama_cpp, llama_cpp_host: 10.0.0.1}"
REDIS = {"litellm_redis_host": "10.0.0.9", "litellm_redis_port": 6380}


def _render(tmp_path, **variables):
    return render_gateway(tmp_path, BACKENDS, CATALOG, "-e", json.dumps(variables))


def test_without_redis_nothing_is_shared_and_no_password_is_generated(tmp_path):
    result, config, env, _ = _render(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "redis_host" not in config["router_settings"]
    assert "coordination_redis" not in config["general_settings"]
    assert "cache" not in config["litellm_settings"]
    assert "REDIS_PASSWORD" not in env
    assert not (tmp_path / ".secrets" / "redis_password").exists()


def test_redis_shares_router_state_and_counters_but_caches_nothing_by_default(tmp_path):
    result, config, env, config_file = _render(tmp_path, **REDIS)
    assert result.returncode == 0, result.stdout[-2000:]
    router = config["router_settings"]
    assert (router["redis_host"], router["redis_port"], router["redis_password"]) == (
        "10.0.0.9",
        6380,
        "os.environ/REDIS_PASSWORD",
    )
    assert config["general_settings"]["coordination_redis"] == {
        "host": "10.0.0.9",
        "port": 6380,
        "password": "os.environ/REDIS_PASSWORD",
    }
    assert "cache" not in config["litellm_settings"]  # prompts are not stored unless turned on
    password = (tmp_path / ".secrets" / "redis_password").read_text().strip()
    assert env["REDIS_PASSWORD"] == password
    assert len(password) == 40
    assert password not in config_file.read_text()


def test_the_cache_when_turned_on_uses_the_same_redis_ttl_and_mode(tmp_path):
    result, config, _, _ = _render(
        tmp_path, **REDIS, litellm_cache_enabled=True, litellm_cache_ttl=30, litellm_cache_mode="default_off"
    )
    assert result.returncode == 0, result.stdout[-2000:]
    settings = config["litellm_settings"]
    assert settings["cache"] is True
    params = settings["cache_params"]
    assert (params["type"], params["host"], params["port"], params["ttl"], params["mode"]) == (
        "redis",
        "10.0.0.9",
        6380,
        30,
        "default_off",
    )
    assert params["password"] == "os.environ/REDIS_PASSWORD"
    assert settings["drop_params"] is True  # the role's own settings stay


def test_the_cache_without_redis_is_refused_naming_the_variables(tmp_path):
    result = ansible_playbook(
        "tests/playbooks/role_entry.yml",
        "-e",
        "entry_role=litellm",
        "-e",
        f"llm_secrets_dir={tmp_path}/.secrets",
        "-e",
        "litellm_cache_enabled=true",
        inventory="localhost,",
        local=True,
    )
    assert result.returncode != 0
    assert "litellm_cache_enabled needs litellm_redis_host" in result.stdout
