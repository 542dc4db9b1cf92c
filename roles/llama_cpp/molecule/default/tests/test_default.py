"""llama_cpp role: service, user, hardening, bind address, auth, completion (in litellm's scenario,
which converges it beside the gateway, and on the e2e tier's sandbox backend: tests/support/bind.py)."""

import json

import pytest
from tests.support.bind import bind_address
from tests.support.host_http import http_in_host
from tests.support.units import MAX_EXPOSURE, exposures
from tests.support.versions import role_default

from llm_onprem.mirror import SMOLLM2_SHA256

VERSION = role_default("llama_cpp", "llama_cpp_version")

PORT = 8080
SERVICE = "llama-server"


def _http(host, path, key="", body=None):
    """Request from inside the host, to the address the server binds; returns (status, body text)."""
    return http_in_host(host, f"http://{bind_address(host)}:{PORT}{path}", key, body)


def _key(host):
    return host.file("/etc/llama-server/api-key").content_string.strip()


def test_service_active_and_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running
    assert service.is_enabled


def test_runs_as_system_user_without_shell(host):
    user = host.user("llama-server")
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000
    pid = host.check_output("systemctl show -p MainPID --value %s", SERVICE)
    assert host.check_output("ps -o user= -p %s", pid) == "llama-server"


def test_listens_on_its_bind_address_only(host):
    """Loopback where Molecule converges it; the private address on the e2e tier's sandbox backend."""
    ours = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{PORT}")]
    assert ours == [f"tcp://{bind_address(host)}:{PORT}"]


def test_unit_is_hardened(host):
    props = host.check_output(
        "systemctl show %s -p NoNewPrivileges -p ProtectSystem -p PrivateTmp -p ReadWritePaths", SERVICE
    )
    assert "NoNewPrivileges=yes" in props
    assert "ProtectSystem=strict" in props
    assert "PrivateTmp=yes" in props
    assert "ReadWritePaths=/var/lib/llama-server" in props


def test_versioned_install_with_current_link(host):
    link = host.file("/opt/llama-server/current")
    assert link.is_symlink
    assert link.linked_to == f"/opt/llama-server/{VERSION}"


def test_model_staged_with_pinned_checksum(host):
    model = host.file("/var/lib/llama-server/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    assert model.sha256sum == SMOLLM2_SHA256
    assert not host.file("/var/lib/llama-server/models/SmolLM2-135M-Instruct.Q4_1.gguf.part").exists


def test_api_key_file_is_private(host):
    key_file = host.file("/etc/llama-server/api-key")
    assert key_file.mode == 0o640
    assert key_file.user == "root"
    assert key_file.group == "llama-server"
    assert len(_key(host)) == 40


def test_health_needs_no_key(host):
    assert _http(host, "/health")[0] == 200


def test_completion_requires_the_key(host):
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    assert _http(host, "/v1/chat/completions", body=body)[0] == 401
    assert _http(host, "/v1/chat/completions", key="not-the-key", body=body)[0] == 401


def test_completion_with_the_key(host):
    body = {
        "model": "smollm2-135m-instruct",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    status, text = _http(host, "/v1/chat/completions", key=_key(host), body=body)
    assert status == 200
    reply = json.loads(text)
    assert reply["choices"][0]["message"]["content"].strip()
    assert reply["model"] == "smollm2-135m-instruct"


def test_metrics_exposed(host):
    status, text = _http(host, "/metrics", key=_key(host))
    assert status == 200
    assert "llamacpp:" in text


def test_unit_exposure_is_at_most_2_5_live_and_offline(host):
    live, offline = exposures(host, SERVICE)
    assert live <= MAX_EXPOSURE
    assert offline <= MAX_EXPOSURE


# The sandbox catalog's second llama_cpp entry: the embedding model, in its own service and port.
# The HA sandbox's catalog has the chat model only: there the two tests below are skipped.
EMBED_SERVICE = "llama-server-all-minilm-l6-v2"
EMBED_PORT = 8081


def _second_model(host):
    if not host.file(f"/etc/systemd/system/{EMBED_SERVICE}.service").exists:
        pytest.skip("this host's catalog has one llama_cpp model (the HA sandbox's)")


def test_the_second_model_runs_in_its_own_hardened_service_on_its_own_port(host):
    _second_model(host)
    service = host.service(EMBED_SERVICE)
    assert service.is_running
    assert service.is_enabled
    ours = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{EMBED_PORT}")]
    assert ours == [f"tcp://{bind_address(host)}:{EMBED_PORT}"]
    live, offline = exposures(host, EMBED_SERVICE)
    assert live <= MAX_EXPOSURE
    assert offline <= MAX_EXPOSURE


def test_the_embedding_model_answers_embeddings_with_the_key_only(host):
    _second_model(host)
    url = f"http://{bind_address(host)}:{EMBED_PORT}/v1/embeddings"
    body = {"model": "all-minilm-l6-v2", "input": ["one", "two"]}
    assert http_in_host(host, url, "", body)[0] == 401
    status, text = http_in_host(host, url, _key(host), body)
    assert status == 200, text
    assert [len(d["embedding"]) for d in json.loads(text)["data"]] == [384, 384]
