"""ollama role: service, user, env file, bind address, imported model, completion (alone in its own
scenario, and on the e2e tier's sandbox backend, `make e2e-ollama`: tests/support/bind.py)."""

import json

from tests.support.bind import bind_address
from tests.support.host_http import http_in_host
from tests.support.units import MAX_EXPOSURE, exposures
from tests.support.versions import role_default

from llm_onprem.mirror import SMOLLM2_SHA256

VERSION = role_default("ollama", "ollama_version")

PORT = 11434
SERVICE = "ollama"
MODEL = "smollm2-135m-instruct"
GGUF_SHA256 = SMOLLM2_SHA256


def _http(host, path, body=None):
    return http_in_host(host, f"http://{bind_address(host)}:{PORT}{path}", body=body)


def test_service_active_and_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running
    assert service.is_enabled


def test_runs_as_system_user(host):
    user = host.user("ollama")
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000
    pid = host.check_output("systemctl show -p MainPID --value %s", SERVICE)
    assert host.check_output("ps -o user= -p %s", pid) == "ollama"


def test_environment_file(host):
    env = host.file("/etc/ollama/ollama.env")
    assert env.mode == 0o640
    content = env.content_string
    for line in (
        f"OLLAMA_HOST={bind_address(host)}:{PORT}",
        "OLLAMA_MODELS=/var/lib/ollama/models",
        "OLLAMA_KEEP_ALIVE=",
        "OLLAMA_NUM_PARALLEL=",
        "OLLAMA_MAX_LOADED_MODELS=",
        "OLLAMA_CONTEXT_LENGTH=",
    ):
        assert line in content


def test_official_layout_versioned(host):
    assert host.file("/opt/ollama/current").linked_to == f"/opt/ollama/{VERSION}"
    assert host.file(f"/opt/ollama/{VERSION}/bin/ollama").is_file
    assert host.file(f"/opt/ollama/{VERSION}/lib/ollama").is_directory
    # linked_to resolves the whole chain: /usr/local/bin/ollama -> current/bin/ollama -> <version>/bin/ollama
    assert host.file("/usr/local/bin/ollama").linked_to == f"/opt/ollama/{VERSION}/bin/ollama"


def test_listens_on_its_bind_address_only(host):
    """Loopback where Molecule converges it; the private address on the e2e tier's sandbox backend."""
    ours = [s for s in host.socket.get_listening_sockets() if s.endswith(f":{PORT}")]
    assert ours == [f"tcp://{bind_address(host)}:{PORT}"]


def test_unit_is_hardened_and_hides_devices_without_a_gpu(host):
    props = host.check_output(
        "systemctl show %s -p NoNewPrivileges -p ProtectSystem -p PrivateDevices", SERVICE
    )
    assert "NoNewPrivileges=yes" in props
    assert "ProtectSystem=strict" in props
    # No /dev/nvidiactl here: the GPU exception (NVIDIA device nodes) is not taken.
    assert "PrivateDevices=yes" in props


def test_models_dir_owned_by_service(host):
    models = host.file("/var/lib/ollama/models")
    assert models.user == "ollama"
    assert models.is_directory


def test_model_imported_from_the_pinned_gguf(host):
    status, text = _http(host, "/api/tags")
    assert status == 200
    assert f"{MODEL}:latest" in [m["name"] for m in json.loads(text)["models"]]
    status, text = _http(host, "/api/show", {"model": MODEL})
    assert status == 200
    assert f"sha256-{GGUF_SHA256}" in json.loads(text)["modelfile"]


def test_completion(host):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    status, text = _http(host, "/v1/chat/completions", body)
    assert status == 200, text
    assert json.loads(text)["choices"][0]["message"]["content"].strip()


def test_unit_exposure_is_at_most_2_5_live_and_offline(host):
    live, offline = exposures(host, SERVICE)
    assert live <= MAX_EXPOSURE
    assert offline <= MAX_EXPOSURE
