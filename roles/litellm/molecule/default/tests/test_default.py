"""litellm role with a llama.cpp backend: service, config, secrets, auth, completion.

In the role's scenario the backend is on the same host (bound to loopback); in the llama_cpp e2e tier
these tests run against the sandbox gateway, whose backend is another host (`make e2e-llama_cpp`,
src/llm_onprem/hosts.py E2E_GATEWAY), and in the HA tier against both gateways of
inventories/sandbox-ha, which listen on their private address behind their own firewall table with
the ingress on its own host (`make e2e-ha`, hosts.HA_E2E). Nothing here assumes any of these: the
backend's address and key are read from the gateway's own config and env file, the gateway's listen
address from its unit.
"""

import functools
import json
import re

import pytest
import yaml
from tests.support.host_http import http_in_host
from tests.support.units import MAX_EXPOSURE, exposures
from tests.support.venv_record import assert_installed_from_its_requirements
from tests.support.versions import role_default

VERSION = role_default("litellm", "litellm_version")

PORT = 4000
SERVICE = "litellm"
MODEL = "smollm2-135m-instruct"


@functools.cache
def _listen(host):
    """The address the unit's --host names: loopback, or the private address (ingress elsewhere)."""
    exec_start = host.check_output("systemctl show %s -p ExecStart", SERVICE)
    match = re.search(r"--host (\S+)", exec_start)
    assert match, exec_start
    return match.group(1)


def _ingress_here(host):
    return _listen(host) == "127.0.0.1"


def _http(host, path, key="", body=None):
    """Request from inside the host, to the address the gateway listens on; (status, body text)."""
    return http_in_host(host, f"http://{_listen(host)}:{PORT}{path}", key, body)


def _env(host):
    """The gateway's secrets file as a dict (NAME=value lines)."""
    text = host.file("/etc/litellm/litellm.env").content_string
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def _master_key(host):
    return _env(host)["LITELLM_MASTER_KEY"]


def _deployment(host):
    """MODEL's litellm_params in the gateway's config."""
    config = yaml.safe_load(host.file("/etc/litellm/config.yaml").content_string)
    return next(m["litellm_params"] for m in config["model_list"] if m["model_name"] == MODEL)


def test_service_active_and_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running
    assert service.is_enabled


def test_litellm_listens_on_one_address_and_the_ingress_beside_it_or_its_firewall_table(host):
    """Loopback with the ingress on all interfaces of this host; or, the ingress on its own hosts,
    the private address only, with the gateway's own nftables table in place."""
    listening = host.socket.get_listening_sockets()
    assert [s for s in listening if s.endswith(f":{PORT}")] == [f"tcp://{_listen(host)}:{PORT}"]
    if _ingress_here(host):
        assert "tcp://0.0.0.0:443" in listening
    else:
        assert _listen(host) in host.interface("eth0").addresses
        assert not [s for s in listening if s.endswith(":443")]
        table = host.run("nft list table inet llm_onprem_litellm")
        assert table.rc == 0, table.stderr
        assert f"tcp dport {PORT}" in table.stdout


_HTTPS = """
import json, ssl, sys, urllib.request, urllib.error
context = ssl.create_default_context(cafile="/etc/haproxy/tls/ca.crt")
data = sys.argv[3].encode() or None
req = urllib.request.Request(sys.argv[1], data=data, method="POST" if data else "GET")
req.add_header("Content-Type", "application/json")
req.add_header("Authorization", "Bearer " + sys.argv[2])
try:
    resp = urllib.request.urlopen(req, timeout=120, context=context)
    print(resp.status, resp.read().decode())
except urllib.error.HTTPError as err:
    print(err.code, err.read().decode())
"""


def test_completion_over_https_through_the_ingress_with_the_generated_ca(host):
    if not _ingress_here(host):
        pytest.skip("the ingress runs on its own hosts (llm_ingress group): tests/ha goes through it")
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8})
    for name in ("127.0.0.1", "localhost", host.check_output("hostname")):
        out = host.check_output(
            "python3 -c %s %s %s %s", _HTTPS, f"https://{name}/v1/chat/completions", _master_key(host), body
        )
        status, _, text = out.partition(" ")
        assert status == "200", out
        assert json.loads(text)["choices"][0]["message"]["content"].strip()
    key = host.file("/etc/haproxy/tls/gateway.pem.key")
    assert key.mode == 0o600
    assert key.user == "root"


_ADMIN_STAT = """
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/haproxy-admin.sock")
s.sendall(b"show stat\\n")
print(s.recv(65536).decode())
"""


def test_haproxy_admin_socket_answers_root_alone(host):
    """The socket playbooks/upgrade.yml drains a gateway through: root's, 0600, at admin level (it
    lists the gateway backend's servers); another user cannot connect."""
    if not _ingress_here(host):
        pytest.skip("the ingress runs on its own hosts (llm_ingress group): tests/ha drains through it")
    socket_file = host.file("/run/haproxy-admin.sock")
    assert socket_file.is_socket
    assert socket_file.mode == 0o600
    assert socket_file.user == "root"
    stat = host.check_output("python3 -c %s", _ADMIN_STAT)
    assert re.search(r"^litellm,litellm,", stat, re.M), stat
    other = host.run("runuser -u nobody -- python3 -c %s", _ADMIN_STAT)
    assert other.rc != 0
    assert "Permission denied" in other.stderr


def test_pinned_release_in_versioned_venv(host):
    version = host.check_output(
        "/opt/litellm/current/bin/python -c 'import importlib.metadata as m; print(m.version(\"litellm\"))'"
    )
    assert version == VERSION
    assert host.file("/opt/litellm/current").linked_to == f"/opt/litellm/{VERSION}"
    assert_installed_from_its_requirements(host, f"/opt/litellm/{VERSION}")


def test_secrets_only_in_private_env_file(host):
    env_file = host.file("/etc/litellm/litellm.env")
    assert env_file.mode == 0o600
    assert env_file.user == "root"
    secrets = _env(host)
    assert secrets["LITELLM_MASTER_KEY"].startswith("sk-")
    config = host.file("/etc/litellm/config.yaml").content_string
    assert "master_key: os.environ/LITELLM_MASTER_KEY" in config
    # The generated ones (the master key and each backend's key, 40 characters or more).
    generated = {
        name: value
        for name, value in secrets.items()
        if name == "LITELLM_MASTER_KEY" or name.startswith("LLM_BACKEND_KEY_")
    }
    assert len(generated) >= 2, sorted(secrets)
    for name, value in generated.items():
        assert len(value) >= 40, name
        assert value not in config, name


def test_config_routes_to_the_keyed_backend_which_answers_only_with_that_key(host):
    """The api_base and key the gateway uses reach the llama.cpp backend (wherever it runs), and the
    backend refuses the same request without the key."""
    params = _deployment(host)
    assert params["model"] == f"openai/{MODEL}"
    assert params["api_base"].startswith("http://")
    assert params["api_base"].endswith(":8080/v1")
    assert params["api_key"].startswith("os.environ/LLM_BACKEND_KEY_")
    env_name = params["api_key"].removeprefix("os.environ/")
    status, text = http_in_host(host, params["api_base"] + "/models", _env(host)[env_name])
    assert status == 200, text
    assert MODEL in text
    assert http_in_host(host, params["api_base"] + "/models")[0] == 401


def test_unit_is_hardened_and_offline(host):
    props = host.check_output("systemctl show %s -p NoNewPrivileges -p ProtectSystem -p Environment", SERVICE)
    assert "NoNewPrivileges=yes" in props
    assert "ProtectSystem=strict" in props
    assert "LITELLM_LOCAL_MODEL_COST_MAP=True" in props


def test_readiness(host):
    status, text = _http(host, "/health/readiness")
    assert status == 200, text


def test_no_key_is_401(host):
    assert _http(host, "/v1/models")[0] == 401


def test_wrong_key_is_rejected(host):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    status, _ = _http(host, "/v1/chat/completions", key="sk-wrong-key", body=body)
    assert 400 <= status < 500


def test_completion_through_the_gateway(host):
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    status, text = _http(host, "/v1/chat/completions", key=_master_key(host), body=body)
    assert status == 200, text
    assert json.loads(text)["choices"][0]["message"]["content"].strip()


def test_unit_exposure_is_at_most_2_5_live_and_offline(host):
    live, offline = exposures(host, SERVICE)
    assert live <= MAX_EXPOSURE
    assert offline <= MAX_EXPOSURE
