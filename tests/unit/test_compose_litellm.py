"""The dev stacks route like the roles: each compose/litellm/<profile>.yaml, resolved with the gateway
container's environment, equals what roles/litellm renders for one backend host of that kind."""

import pytest
import yaml

from tests.support.backends import registry
from tests.support.compose import COMPOSE_DIR, PROFILES, example_env, rendered, write_env
from tests.support.gateway import render_gateway

GGUF = {"url": "http://m/x.gguf", "sha256": "b" * 64}
# The role's callbacks (the capability guard, the prometheus callback) and /metrics without a key.
ROLE_ONLY_SETTINGS = {
    "callbacks": ["llm_capabilities.guard", "prometheus"],
    "require_auth_for_metrics_endpoint": False,
}
ROLE_BACKEND = {spec["compose_profile"]: name for name, spec in registry().items() if spec["compose_profile"]}


def _resolve(value, env):
    """LiteLLM's rule: a string `os.environ/NAME` anywhere in the config is replaced by $NAME."""
    if isinstance(value, dict):
        return {k: _resolve(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, env) for v in value]
    if isinstance(value, str) and value.startswith("os.environ/"):
        return env[value.removeprefix("os.environ/")]
    return value


@pytest.mark.parametrize("profile", PROFILES)
def test_gateway_config_matches_the_role(tmp_path, profile):
    env_file = write_env(tmp_path / ".env", example_env(COMPOSE_PROFILES=profile))
    gateway_env = rendered(env_file)["services"]["litellm"]["environment"]
    model = gateway_env["LLM_MODEL_NAME"]

    backend = ROLE_BACKEND[profile]
    host_line = f"{profile}: {{llm_backend: {backend}, {backend}_host: {profile}}}"
    source = {"hf": {"repo": "x"}} if backend == "vllm" else {"gguf": GGUF}
    result, role_config, *_ = render_gateway(
        tmp_path, host_line, [{"name": model, "backend": backend, **source}]
    )
    assert result.returncode == 0, result.stdout[-2000:]

    compose_config = yaml.safe_load((COMPOSE_DIR / "litellm" / f"{profile}.yaml").read_text())
    # Secrets stay pointers in both; everything else is resolved from the gateway's environment.
    for deployment in compose_config["model_list"]:
        key = deployment["litellm_params"].get("api_key")
        if key:
            assert key.removeprefix("os.environ/") in gateway_env, f"{key} is not set on the gateway"
    secrets = {k for k in gateway_env if k.startswith("LLM_BACKEND_KEY_") or k == "LITELLM_MASTER_KEY"}
    env = {k: v for k, v in gateway_env.items() if k not in secrets} | {k: f"os.environ/{k}" for k in secrets}
    resolved = _resolve(compose_config, env)

    strip_ids = [{k: v for k, v in d.items() if k != "model_info"} for d in role_config["model_list"]]
    assert resolved["model_list"] == strip_ids
    # The dev stacks run no Prometheus, and their LiteLLM port is the published one (no ingress there
    # refuses /metrics): the role's metrics settings (litellm_metrics_enabled) stay out of them. They
    # serve one chat model and mount no capability guard (its data is the role's catalog).
    role_config["litellm_settings"] = {
        k: v for k, v in role_config["litellm_settings"].items() if ROLE_ONLY_SETTINGS.get(k) != v
    }
    for section in ("router_settings", "litellm_settings", "general_settings"):
        assert resolved[section] == role_config[section], section
