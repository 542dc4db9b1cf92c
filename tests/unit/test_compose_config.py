"""The dev stacks' compose files, rendered by `docker compose config` (no engine needed)."""

import json
import re
import subprocess

import pytest

from tests.support.compose import (
    ENV_EXAMPLE,
    PROFILES,
    ROOT,
    compose,
    example_env,
    read_env,
    rendered,
    write_env,
)

SERVICES = {
    "llamacpp": {"model", "llamacpp", "litellm"},
    "ollama": {"model", "ollama", "ollama-model", "litellm"},
    "vllm": {"vllm", "litellm"},
}
BACKEND = {"llamacpp": "llamacpp", "ollama": "ollama", "vllm": "vllm"}
PROBE = {"llamacpp": "/health", "ollama": "ollama list", "vllm": "/health", "litellm": "/health/liveliness"}


@pytest.fixture
def env_for(tmp_path):
    def make(profile: str, **overrides: str):
        return write_env(tmp_path / f"{profile}.env", example_env(COMPOSE_PROFILES=profile, **overrides))

    return make


@pytest.mark.parametrize("gpu", [False, True], ids=["cpu", "gpu"])
@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_validates(env_for, profile, gpu):
    result = compose(env_for(profile), "config", "-q", gpu=gpu)
    assert result.returncode == 0, result.stderr
    assert set(rendered(env_for(profile), gpu=gpu)["services"]) == SERVICES[profile]


@pytest.mark.parametrize("gpu", [False, True], ids=["cpu", "gpu"])
@pytest.mark.parametrize("profile", PROFILES)
def test_loopback_ports_health_checks_init_and_ordering(env_for, profile, gpu):
    services = rendered(env_for(profile), gpu=gpu)["services"]
    for name, service in services.items():
        assert service.get("init") is True, f"{name}: init: true (signals reach the process, fast down)"
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    for name in (BACKEND[profile], "litellm"):
        test = " ".join(services[name]["healthcheck"]["test"])
        assert PROBE[name] in test, f"{name} health check {test!r} does not probe {PROBE[name]}"
    depends = services["litellm"]["depends_on"]
    wait_for = "ollama-model" if profile == "ollama" else BACKEND[profile]
    expected = "service_completed_successfully" if profile == "ollama" else "service_healthy"
    assert depends[wait_for]["condition"] == expected
    if "model" in services:
        # Whatever loads the GGUF waits for the verified download (Ollama's importer, not the server).
        consumer = "ollama-model" if profile == "ollama" else BACKEND[profile]
        assert services[consumer]["depends_on"]["model"]["condition"] == "service_completed_successfully"
        volumes = {v["source"]: v for v in services["model"]["volumes"]}
        assert volumes["models"]["type"] == "volume"
    config = [v for v in services["litellm"]["volumes"] if v["target"] == "/etc/litellm/config.yaml"]
    assert config[0]["source"].endswith(f"compose/litellm/{profile}.yaml")
    assert config[0]["read_only"] is True


@pytest.mark.parametrize("profile", PROFILES)
def test_gpu_override_reserves_nvidia_devices(env_for, profile):
    backend = rendered(env_for(profile), gpu=True)["services"][BACKEND[profile]]
    devices = backend["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"capabilities": ["gpu"], "driver": "nvidia", "count": -1}]
    cpu_backend = rendered(env_for(profile))["services"][BACKEND[profile]]
    assert "deploy" not in cpu_backend
    if profile == "vllm":
        assert backend["image"] == read_env(ENV_EXAMPLE)["VLLM_GPU_IMAGE"]
        assert "--enforce-eager" in cpu_backend["command"]
        assert "--enforce-eager" not in backend["command"]
    two = rendered(env_for(profile, LLM_GPU_COUNT="2"), gpu=True)["services"][BACKEND[profile]]
    assert two["deploy"]["resources"]["reservations"]["devices"][0]["count"] == 2


def test_every_image_is_pinned_and_overridable(env_for):
    example = read_env(ENV_EXAMPLE)
    images = {k: v for k, v in example.items() if k.endswith("_IMAGE")}
    assert set(images) >= {"LLAMACPP_IMAGE", "OLLAMA_IMAGE", "VLLM_IMAGE", "LITELLM_IMAGE", "FETCH_IMAGE"}
    for key, image in images.items():
        tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
        assert tag, f"{key}={image} has no tag"
        assert not re.fullmatch(r"(main-)?(latest|stable)", tag), f"{key}={image}: a moving tag"
    seen: dict[str, str] = {}
    for profile in PROFILES:
        for gpu in (False, True):
            private = {k: f"registry.internal:5000/mirror/{k.lower()}:1" for k in images}
            services = rendered(env_for(profile, **private), gpu=gpu)["services"]
            for service in services.values():
                for key, value in private.items():
                    if service["image"] == value:
                        seen[key] = value
    assert set(seen) == set(images), f"never used: {set(images) - set(seen)}"


@pytest.mark.parametrize("missing", ["LITELLM_MASTER_KEY", "LLM_BACKEND_API_KEY", "LLM_MODEL_SHA256"])
def test_a_missing_setting_is_named(tmp_path, missing):
    values = example_env(COMPOSE_PROFILES="llamacpp")
    del values[missing]
    result = compose(write_env(tmp_path / ".env", values), "config", "-q")
    assert result.returncode != 0
    assert missing in result.stderr


def test_dev_env_generates_private_keys_once(tmp_path):
    env_file = tmp_path / ".env"
    make = ["make", "-s", "--no-print-directory", "dev-env", f"DEV_ENV={env_file}"]
    subprocess.run(make, cwd=ROOT, check=True, capture_output=True)
    first = read_env(env_file)
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"sk-[0-9a-f]{64}", first["LITELLM_MASTER_KEY"])
    assert re.fullmatch(r"[0-9a-f]{64}", first["LLM_BACKEND_API_KEY"])
    assert {k: v for k, v in first.items() if "KEY" not in k} == {
        k: v for k, v in read_env(ENV_EXAMPLE).items() if "KEY" not in k
    }
    subprocess.run(make, cwd=ROOT, check=True, capture_output=True)
    assert read_env(env_file) == first, "an existing .env is kept"
    other = tmp_path / "other.env"
    subprocess.run([*make[:-1], f"DEV_ENV={other}"], cwd=ROOT, check=True, capture_output=True)
    assert read_env(other)["LITELLM_MASTER_KEY"] != first["LITELLM_MASTER_KEY"]


def test_https_setting_mounts_the_certificate_and_probes_over_tls(env_for, tmp_path):
    """LITELLM_HTTPS=1: `make dev-up` adds compose.https.yaml (LiteLLM's own TLS); still loopback only."""
    env_file = env_for("llamacpp", LITELLM_HTTPS="1")
    https = ROOT / "compose" / "compose.https.yaml"
    missing = compose(env_file, "config", "-q", files=(https,))
    assert missing.returncode != 0
    assert "LITELLM_TLS_DIR" in missing.stderr
    result = compose(
        env_file, "config", "--format", "json", files=(https,), environ={"LITELLM_TLS_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    litellm = json.loads(result.stdout)["services"]["litellm"]
    assert litellm["environment"]["SSL_CERTFILE_PATH"] == "/etc/litellm/tls/gateway.crt"
    assert litellm["environment"]["SSL_KEYFILE_PATH"] == "/etc/litellm/tls/gateway.key"
    tls = [v for v in litellm["volumes"] if v["target"] == "/etc/litellm/tls"]
    assert tls[0]["source"] == str(tmp_path)
    assert tls[0]["read_only"] is True
    assert "https://127.0.0.1:4000/health/liveliness" in " ".join(litellm["healthcheck"]["test"])
    assert all(p["host_ip"] == "127.0.0.1" for p in litellm["ports"])
