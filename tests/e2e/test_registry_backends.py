"""What the backend registry makes possible, on the real sandbox: an external OpenAI-compatible endpoint
behind the gateway (with a local model falling back to it), and a host switched from one backend to
another running only the new one."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from llm_onprem.mirror import SMOLLM2_SHA256
from llm_onprem.paths import mirror_dir
from tests.conftest import ansible_playbook, recap
from tests.e2e.conftest import BACKEND, GATEWAY, MODEL, SELECTED
from tests.support.backends import profile
from tests.support.host_http import http_in_host

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        SELECTED.name != "llama_cpp",
        reason="runs in the llama_cpp suite: the external endpoint is a llama-server from its install, "
        "and the switch goes llama_cpp to ollama and back",
    ),
]

EXTERNAL = "someone-elses-model"
EXTERNAL_UNIT = "someone-elses-endpoint"
EXTERNAL_PORT = 9090
GGUF = {
    "url": "http://llm-onprem-mirror:8088/models/SmolLM2-135M-Instruct.Q4_1.gguf",
    "sha256": SMOLLM2_SHA256,
}
CHAT = {"messages": [{"role": "user", "content": "Say hello."}], "max_tokens": 8, "temperature": 0}


def _converge(*args: str):
    result = ansible_playbook("playbooks/site.yml", *args)
    assert result.returncode == 0, result.stdout[-4000:]
    return recap(result.stdout)


def _complete(client, master_key, model):
    return client.post(
        "/v1/chat/completions",
        json={**CHAT, "model": model},
        headers={"Authorization": f"Bearer {master_key}"},
    )


@pytest.fixture
def external_endpoint(backend, tmp_path):
    """A llama-server that no role manages, with its own key: "someone else's endpoint" on the sandbox
    network (a transient unit on the backend host, started from the files the role installed)."""
    address = backend.interface("eth0").addresses[0]
    key = secrets.token_hex(20)
    key_file = tmp_path / "external.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    backend.run("install -m 0640 -g llama-server /dev/null /etc/someone-else.key")
    backend.run("sh -c 'cat > /etc/someone-else.key' <<'EOF'\n%s\nEOF", key)
    model = backend.check_output("ls /var/lib/llama-server/models/*.gguf | head -n1")
    binary = backend.check_output("readlink -f /opt/llama-server/current/*/bin/llama-server")
    started = backend.run(
        "systemd-run --unit=%s --property=User=llama-server %s --model %s --host %s --port %s "
        "--api-key-file /etc/someone-else.key --threads 1 --alias %s --no-webui",
        EXTERNAL_UNIT,
        binary,
        model,
        address,
        str(EXTERNAL_PORT),
        EXTERNAL,
    )
    assert started.rc == 0, started.stderr
    for _ in range(60):
        if (
            backend.run(
                "python3 -c %s",
                f"import urllib.request; urllib.request.urlopen('http://{address}:{EXTERNAL_PORT}/health')",
            ).rc
            == 0
        ):
            break
        time.sleep(1)
    yield {"base_url": f"http://{address}:{EXTERNAL_PORT}/v1", "api_key_file": str(key_file), "timeout": 60}
    backend.run("systemctl stop %s", EXTERNAL_UNIT)
    backend.run("rm -f /etc/someone-else.key")


def test_external_endpoint_and_fallback_through_the_gateway(
    backend, client, master_key, external_endpoint, tmp_path
):
    catalog = {
        "llm_models": [
            {"name": MODEL, "backend": "llama_cpp", "gguf": GGUF, "fallbacks": [EXTERNAL]},
            {"name": EXTERNAL, "backend": "openai_compatible", "endpoint": external_endpoint},
        ]
    }
    extra = tmp_path / "catalog.json"
    extra.write_text(json.dumps(catalog))
    try:
        _converge("--limit", GATEWAY, "-e", f"@{extra}")
        listed = client.get("/v1/models", headers={"Authorization": f"Bearer {master_key}"}).json()
        assert {MODEL, EXTERNAL} <= {m["id"] for m in listed["data"]}

        remote = _complete(client, master_key, EXTERNAL)
        assert remote.status_code == 200, remote.text
        assert remote.json()["choices"][0]["message"]["content"].strip()
        # The endpoint's own key is required: the gateway sent it.
        assert external_endpoint["api_key_file"] not in remote.text

        # The local backend stops: the same name is still served, by the external endpoint.
        backend.run("systemctl stop llama-server")
        assert not backend.service("llama-server").is_running
        fallback = _complete(client, master_key, MODEL)
        assert fallback.status_code == 200, fallback.text
        assert fallback.json()["choices"][0]["message"]["content"].strip()
    finally:
        backend.run("systemctl start llama-server")
        _converge("--limit", GATEWAY)


def test_switching_a_host_backend_retires_the_previous_one(backend, gateway, client, master_key):
    manifest = json.loads((mirror_dir() / "manifest.json").read_text())
    if not any(name.startswith("ollama/") for name in manifest["files"]):
        pytest.skip("the mirror holds no Ollama archive (make mirror MIRROR_BACKENDS=all stages it)")
    llama, ollama = profile("llama_cpp"), profile("ollama")
    # The backend host only: the switch is about what runs there. The gateway keeps its llama.cpp
    # config throughout, so its final completion also proves the way back.
    try:
        _converge("--limit", BACKEND, "-e", "llm_backend=ollama")
        assert backend.service(ollama.service).is_running
        assert not backend.service(llama.service).is_running
        assert not backend.service(llama.service).is_enabled
        ports = [s for s in backend.socket.get_listening_sockets() if s.endswith(f":{llama.port}")]
        assert ports == [], "the retired backend no longer listens"
        # Ollama serves the catalog model, asked from the gateway host as the gateway would ask it.
        status, text = http_in_host(
            gateway, f"http://{BACKEND}:{ollama.port}/v1/chat/completions", body={**CHAT, "model": MODEL}
        )
        assert status == 200, text
        assert json.loads(text)["choices"][0]["message"]["content"].strip()
    finally:
        # Back to llama.cpp, this time removing the retired backend (llm_registry_retire: remove).
        summary = _converge("--limit", BACKEND, "-e", "llm_registry_retire=remove")
    assert backend.service(llama.service).is_running
    assert backend.service(llama.service).is_enabled
    assert not backend.service(ollama.service).is_running
    assert summary[BACKEND]["failed"] == 0
    for path in (
        "/etc/systemd/system/ollama.service",
        "/opt/ollama",
        "/var/lib/ollama",
        "/usr/local/bin/ollama",
    ):
        assert not backend.file(path).exists, f"{path} was not removed"
    assert "ollama.service" not in backend.check_output("systemctl list-unit-files --no-legend")
    assert _complete(client, master_key, MODEL).status_code == 200
