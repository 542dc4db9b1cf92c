"""End to end on the sandbox (two hosts: llama.cpp backend, LiteLLM gateway), after `make demo`."""

from __future__ import annotations

import http.client
import json
import stat
import time
from urllib.parse import urlsplit

import pytest

from llm_onprem import hosts, smoke
from llm_onprem.smoke import near_miss
from tests.conftest import ROOT, ansible_playbook, recap
from tests.e2e.conftest import CA_FILE, MODEL, SECRETS, SELECTED, TOOL_CALL_PREFILL, ca_context

pytestmark = pytest.mark.e2e

CHAT = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
    "max_tokens": 24,
    "temperature": 0,
}


def test_backend_unit_active_and_enabled(backend, backend_profile):
    assert backend.service(backend_profile.service).is_running
    assert backend.service(backend_profile.service).is_enabled


def test_gateway_unit_active_and_enabled(gateway):
    assert gateway.service("litellm").is_running
    assert gateway.service("litellm").is_enabled


def test_backend_binds_its_private_address_only(backend, backend_profile):
    address = backend.interface("eth0").addresses[0]
    port = backend_profile.port
    ours = [s for s in backend.socket.get_listening_sockets() if s.endswith(f":{port}")]
    assert ours == [f"tcp://{address}:{port}"], "backend must not listen on every interface"


@pytest.mark.skipif(
    not SELECTED.requires_key,
    reason=f"{SELECTED.name} has no authentication of its own: "
    "it is protected by its bind address (and the site firewall), LiteLLM is the ingress",
)
def test_backend_refuses_callers_without_its_key(gateway, backend, backend_profile):
    address = backend.interface("eth0").addresses[0]
    probe = (
        "import urllib.request, urllib.error\n"
        "try:\n"
        f"    urllib.request.urlopen('http://{address}:{backend_profile.port}/v1/models', timeout=10)\n"
        "    print(200)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    assert gateway.check_output("python3 -c %s", probe) == "401"


def test_gateway_serves_https_publicly_and_litellm_on_loopback_only(gateway):
    listening = gateway.socket.get_listening_sockets()
    assert "tcp://0.0.0.0:443" in listening
    assert "tcp://127.0.0.1:4000" in listening
    assert not [s for s in listening if s.endswith(":4000") and s != "tcp://127.0.0.1:4000"]


def test_gateway_keeps_idle_client_connections_open(gateway_url):
    """llm_ingress_timeout_http_keep_alive (75 s): a pooled connection idle for 7 s is still usable
    (uvicorn's default of 5 s would have closed it)."""
    url = urlsplit(gateway_url)
    connection = http.client.HTTPSConnection(url.hostname, url.port, timeout=10, context=ca_context())
    try:
        for pause in (0, 7):
            time.sleep(pause)
            connection.request("GET", "/health/liveliness")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("connection", "").lower() != "close"
    finally:
        connection.close()


def test_no_key_is_401(client):
    assert client.get("/v1/models").status_code == 401
    assert client.post("/v1/chat/completions", json=CHAT).status_code == 401


def test_wrong_and_near_miss_keys_are_401_in_db_mode(client, master_key):
    """The sandbox gateway runs in DB mode (group_vars/llm_gateway.yml): a key that is neither the
    master key nor a virtual key gets 401 (README, "Auth semantics"); a near-miss of the master key is
    no different, and no refusal echoes either key."""
    for key in ("sk-wrong", near_miss(master_key)):
        response = client.post("/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401, response.text
        assert "Paris" not in response.text
        assert master_key[3:-1] not in response.text


def test_the_declared_application_key_passes_smoke(gateway_url):
    """`llm-onprem smoke` with the virtual key the sandbox declares (its secret file, as the role
    wrote it): 401s, the model listed, a completion and a stream through the ingress."""
    key_file = SECRETS / "litellm_keys" / "demo-app"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    report = smoke.run(
        gateway_url,
        smoke.read_key(key_file),
        MODEL,
        max_tokens=8,
        ca_file=str(CA_FILE),
        tool_call_prefill=TOOL_CALL_PREFILL,
    )
    assert report.ok, report.render()
    assert report.completion


def test_admin_ui_is_off_by_default_and_nobody_signs_in(client, master_key):
    """litellm_ui_enabled is false in the sandbox: LiteLLM still serves the UI's static pages, but
    its login refuses the admin name with the master key (env-credential login off) and with the
    generated UI password alike, on both login routes."""
    password_file = SECRETS / "litellm_ui_password"
    password = password_file.read_text().strip() if password_file.exists() else ""
    for secret in filter(None, (master_key, password)):
        form = client.post("/login", data={"username": "admin", "password": secret})
        assert form.status_code == 401, form.text
        assert "set-cookie" not in form.headers
        api = client.post("/v2/login", json={"username": "admin", "password": secret})
        assert api.status_code == 401, api.text


def test_models_lists_the_catalog(client, master_key):
    response = client.get("/v1/models", headers={"Authorization": f"Bearer {master_key}"})
    assert response.status_code == 200
    assert MODEL in [m["id"] for m in response.json()["data"]]


def test_completion_is_not_empty(client, master_key):
    response = client.post(
        "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {master_key}"}
    )
    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    assert content.strip()
    assert response.json()["usage"]["completion_tokens"] > 0


def test_streaming_chunks_end_with_done(client, master_key):
    events = []
    with client.stream(
        "POST",
        "/v1/chat/completions",
        json={**CHAT, "stream": True},
        headers={"Authorization": f"Bearer {master_key}"},
    ) as response:
        assert response.status_code == 200
        events = [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1].strip() == "[DONE]"
    deltas = [
        json.loads(e)["choices"][0]["delta"].get("content") or ""
        for e in events[:-1]
        if json.loads(e).get("choices")
    ]
    assert len(deltas) >= 2
    assert "".join(deltas).strip()


def test_secrets_are_private_on_the_controller():
    assert stat.S_IMODE(SECRETS.stat().st_mode) == 0o700
    files = [p for p in SECRETS.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"litellm_master_key", "backend_api_key", "ca.key", "ca.crt"}
    for path in files:
        # The CA certificate is what clients are given; everything else is a secret.
        expected = 0o644 if path.name == "ca.crt" else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    assert stat.S_IMODE((SECRETS / "tls").stat().st_mode) == 0o700


def test_gateway_config_holds_no_secret(gateway, master_key):
    config = gateway.file("/etc/litellm/config.yaml")
    assert master_key not in config.content_string
    assert gateway.file("/etc/litellm/litellm.env").mode == 0o600


def test_second_converge_changes_nothing():
    """site.yml again changes nothing. The gateway host is converged again in the tier that runs its
    roles' verifiers (`llm-onprem hosts gateway-verifiers`: llama_cpp's) and in the HA tier on two
    more OSes; the other tiers' gateways differ only in the model_list's data, so there the backend
    host alone is converged again."""
    gateway_tier = bool(hosts.gateway_verifiers(SELECTED.name))
    result = ansible_playbook("playbooks/site.yml", *(() if gateway_tier else ("--limit", "llm_backends")))
    assert result.returncode == 0, result.stdout[-3000:]
    summary = recap(result.stdout)
    expected = {"llm-onprem-backend-1"} | ({"llm-onprem-gateway-1"} if gateway_tier else set())
    assert set(summary) == expected
    assert all(host["changed"] == 0 for host in summary.values()), summary


def test_verify_playbook_passes():
    result = ansible_playbook("playbooks/verify.yml")
    assert result.returncode == 0, result.stdout[-3000:]
    report = json.loads((ROOT / "inventories" / "sandbox" / ".state" / "verify.json").read_text())
    assert report["model"] == MODEL
    assert report["completion"].strip()
