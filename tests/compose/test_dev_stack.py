"""The dev stacks for real: `make dev-up` of a CPU profile with the stand-in images (built from the
artifact mirror by scripts/standin-images.sh), the model fetched from the mirror as from an air-gapped
site's, `make dev-smoke` and a completion through the gateway, then `make dev-down VOLUMES=1`.

Run by `make compose` (after `make standin-images`).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from llm_onprem import smoke
from tests.support.compose import ROOT, compose, compose_command, example_env, read_env, write_env

pytestmark = pytest.mark.compose

CACHE = Path(os.environ.get("LLM_ONPREM_CACHE", Path.home() / ".cache" / "llm-onprem"))
MIRROR = CACHE / "mirror"
STANDIN_ENV = CACHE / "standin-images.env"
MIRROR_OVERRIDE = ROOT / "tests" / "compose" / "compose.mirror.yaml"
PROJECT = "llm-onprem-compose-test"
# Away from the sandbox's 127.0.0.1:4000 and a developer's own stack.
PORTS = {"LITELLM_PORT": "14000", "LLAMACPP_PORT": "18080", "OLLAMA_PORT": "21434", "VLLM_PORT": "18000"}
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def images():
    if not STANDIN_ENV.exists():
        pytest.fail(f"{STANDIN_ENV} is missing: run `make standin-images` first")
    return read_env(STANDIN_ENV)


def _env(tmp_path: Path, profile: str, images: dict[str, str], **extra: str) -> Path:
    values = example_env(
        COMPOSE_PROFILES=profile,
        LLM_MODEL_URL=f"http://mirror:8088/models/{MODEL_FILE}",
        # 2 cores: one thread per backend, as in the sandbox.
        LLAMACPP_THREADS="1",
        LLAMACPP_PARALLEL="2",
        OLLAMA_NUM_THREAD="1",
        OLLAMA_NUM_PARALLEL="2",
        # vLLM: the mirror's HF-format copy of the model, offline (tests/compose/compose.mirror.yaml).
        VLLM_MODEL="/models/smollm2-135m-instruct-hf",
        HF_HUB_OFFLINE="1",
        VLLM_MAX_MODEL_LEN="2048",
        **PORTS,
        **images,
        **extra,
    )
    values["LITELLM_MASTER_KEY"] = "sk-" + os.urandom(16).hex()
    values["LLM_BACKEND_API_KEY"] = os.urandom(16).hex()
    return write_env(tmp_path / ".env", values)


def _make(
    target: str, env_file: Path, timeout: float = 900, **variables: str
) -> subprocess.CompletedProcess[str]:
    args = {
        "DEV_ENV": str(env_file),
        "DEV_PROJECT": PROJECT,
        "DEV_FILES": f"-f {ROOT}/compose/compose.yaml -f {MIRROR_OVERRIDE}",
        "COMPOSE": " ".join(compose_command()),
        **variables,
    }
    cmd = ["make", "--no-print-directory", target, *(f"{k}={v}" for k, v in args.items())]
    env = {**os.environ, "LLM_ONPREM_MIRROR_DIR": str(MIRROR)}
    env.pop("COMPOSE_PROFILES", None)
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _volumes() -> list[str]:
    out = subprocess.run(
        ["docker", "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def _containers() -> list[dict]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not out:
        return []
    return json.loads(
        subprocess.run(["docker", "inspect", *out], capture_output=True, text=True, check=True).stdout
    )


def _project(env_file: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`docker compose` on the test project: compose.yaml + the mirror service, this env file."""
    return compose(
        env_file,
        *args,
        project=PROJECT,
        files=(MIRROR_OVERRIDE,),
        environ={"LLM_ONPREM_MIRROR_DIR": str(MIRROR)},
        timeout=timeout,
    )


def _logs(env_file: Path, *services: str) -> str:
    return _project(env_file, "logs", "--no-color", *services).stdout


@pytest.fixture
def stack(tmp_path):
    """Yields a function that brings a profile up; always takes the project down (-v) afterwards."""
    started: list[Path] = []

    def up(profile: str, images: dict[str, str], **extra: str) -> Path:
        env_file = _env(tmp_path, profile, images, **extra)
        started.append(env_file)
        start = time.monotonic()
        result = _make("dev-up", env_file, DEV_UP_ARGS="--pull never")
        print(f"dev-up {profile}: {time.monotonic() - start:.1f} s")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:] + _logs(env_file)[-6000:]
        return env_file

    yield up
    for env_file in started:
        _make("dev-down", env_file, VOLUMES="1", timeout=120)


# HTTPS is one setting away (LITELLM_HTTPS=1): the llamacpp stack runs with it, the others with the
# default plain HTTP on 127.0.0.1.
@pytest.mark.parametrize(("profile", "https"), [("llamacpp", True), ("ollama", False), ("vllm", False)])
def test_dev_stack_serves_a_completion_through_the_gateway(stack, images, profile, https):
    env_file = stack(profile, images, **({"LITELLM_HTTPS": "1"} if https else {}))
    settings = read_env(env_file)
    scheme = "https" if https else "http"
    gateway = f"{scheme}://127.0.0.1:{PORTS['LITELLM_PORT']}"
    ca_file = str(env_file.parent / "tls" / "ca.crt") if https else None

    # The make target developers run: auth checks, models, completion, stream.
    result = _make("dev-smoke", env_file, timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 6/6 checks passed" in result.stdout
    assert f"smoke {gateway}" in result.stdout

    report = smoke.run(
        gateway, settings["LITELLM_MASTER_KEY"], settings["LLM_MODEL_NAME"], max_tokens=16, ca_file=ca_file
    )
    assert report.ok, report.render()
    assert report.completion.strip()
    if https:
        # Plain HTTP on the HTTPS port gets no answer from LiteLLM; the CA is needed.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{PORTS['LITELLM_PORT']}/v1/models", timeout=10)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway}/health/liveliness", timeout=10)

    # Every published port is on loopback; the backend answers directly there too.
    containers = _containers()
    for container in containers:
        for bindings in (container["HostConfig"]["PortBindings"] or {}).values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings), container["Name"]
    if profile in ("llamacpp", "vllm"):
        direct = f"http://127.0.0.1:{PORTS[profile.upper() + '_PORT']}"
        assert httpx.get(f"{direct}/v1/models", timeout=10).status_code == 401, f"{profile} without its key"
        ok = httpx.get(
            f"{direct}/v1/models", headers={"Authorization": f"Bearer {settings['LLM_BACKEND_API_KEY']}"}
        )
        assert ok.status_code == 200
    else:
        tags = httpx.get(f"http://127.0.0.1:{PORTS['OLLAMA_PORT']}/api/tags", timeout=10).json()
        assert any(m["name"].startswith(settings["LLM_MODEL_NAME"]) for m in tags["models"]), tags

    # A second `up` is a no-op for the model: the cached file is re-verified, not downloaded.
    if profile != "vllm":
        result = _make("dev-up", env_file, DEV_UP_ARGS="--pull never")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        logs = _logs(env_file, "model")
        assert logs.count("downloading") == 1, logs
        assert "present, sha256 verified" in logs, logs

    start = time.monotonic()
    result = _make("dev-down", env_file, VOLUMES="1", timeout=120)
    took = time.monotonic() - start
    print(f"dev-down {profile}: {took:.1f} s")
    assert result.returncode == 0, result.stderr
    assert took < 20, f"down took {took:.0f} s: a process ignores SIGTERM"
    assert _containers() == []
    assert _volumes() == [], "down -v leaves no volume"


def test_a_bad_checksum_fails_the_fetch_and_leaves_nothing(tmp_path, images):
    env_file = _env(tmp_path, "llamacpp", images, LLM_MODEL_SHA256="0" * 64)
    try:
        result = _project(env_file, "up", "--pull", "never", "--exit-code-from", "model", "model")
        assert result.returncode != 0
        logs = _logs(env_file, "model")
        assert "sha256 mismatch" in logs, logs
        assert "0" * 64 in logs, logs
        listing = _project(
            env_file, "run", "--rm", "--no-deps", "--entrypoint", "ls", "model", "-A", "/models"
        )
        assert listing.returncode == 0, listing.stderr
        assert listing.stdout.split() == [], "nothing left in the models volume"
    finally:
        _project(env_file, "down", "-v", timeout=120)
