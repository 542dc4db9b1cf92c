"""The sandbox as an attacker on the same network sees it (after `make demo`): HTTPS only at the
ingress, its limits, backends closed to every host but the gateway, no secret in argv, journals or
`-vvv` output."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import subprocess
import threading
import time
from urllib.parse import urlsplit

import docker
import httpx
import pytest

from llm_onprem import sandbox
from tests.conftest import BIN, ROOT, ansible_playbook, recap
from tests.e2e.conftest import BACKEND, GATEWAY, MODEL, MODEL_PORTS, SECRETS, SELECTED, ca_context
from tests.support.host_http import http_in_host

pytestmark = pytest.mark.e2e

CHAT = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Say hi."}],
    "max_tokens": 8,
    "temperature": 0,
}
# What each backend serves beyond /v1/models: routes an attacker would try (vLLM's non-/v1 routes
# answer without its key upstream, vllm#58144; Ollama has no auth at all).
ROUTES = {
    "llama_cpp": ["GET /v1/models", "GET /health", "GET /metrics", "POST /completion"],
    "vllm": ["GET /v1/models", "POST /invocations", "POST /tokenize", "GET /metrics"],
    "ollama": ["GET /api/tags", "POST /api/pull", "DELETE /api/delete"],
}


# The gateway and its ingress are the same whichever backend the sandbox runs: their checks run once.
gateway_only = pytest.mark.skipif(
    SELECTED.name != "llama_cpp",
    reason="the gateway's ingress does not depend on the backend: checked once, in the llama_cpp suite",
)


@contextlib.contextmanager
def _tls(gateway_url: str, context: ssl.SSLContext | None = None, timeout: float = 10):
    """A TLS connection to the gateway's public port, verified with the generated CA by default."""
    host, port = _endpoint(gateway_url)
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        (context or ca_context()).wrap_socket(raw, server_hostname=host) as tls,
    ):
        yield tls


def _endpoint(gateway_url: str) -> tuple[str, int]:
    url = urlsplit(gateway_url)
    return url.hostname or "127.0.0.1", url.port or 443


def _raw_request(gateway_url: str, head: bytes, wait: float = 10) -> bytes:
    """Send `head` over TLS and return what comes back until the server closes or `wait` passes."""
    with _tls(gateway_url, timeout=wait) as tls:
        tls.sendall(head)
        data = b""
        try:
            while chunk := tls.recv(4096):
                data += chunk
                if b"\r\n\r\n" in data:
                    break
        except (TimeoutError, ssl.SSLError, ConnectionError):
            pass
        return data


# ---- HTTPS at the ingress ----------------------------------------------------------------------


@gateway_only
def test_certificate_verifies_with_the_generated_ca_and_names_the_gateway(gateway_url):
    with _tls(gateway_url) as tls:
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
        cert = tls.getpeercert()
    names = {value for kind, value in cert["subjectAltName"]}
    assert {GATEWAY, "127.0.0.1", "localhost"} <= names
    assert (SECRETS / "tls" / "ca.key").stat().st_mode & 0o077 == 0


@gateway_only
def test_tls_1_2_is_accepted_and_an_unknown_ca_is_not(gateway_url):
    host, port = _endpoint(gateway_url)
    only_12 = ca_context()
    only_12.maximum_version = ssl.TLSVersion.TLSv1_2
    with _tls(gateway_url, only_12) as tls:
        assert tls.version() == "TLSv1.2"
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname=host)


@gateway_only
def test_plain_http_is_not_served_on_the_public_port(gateway_url):
    host, port = _endpoint(gateway_url)
    # haproxy answers a plain request on its TLS port with nothing but a closed connection: no HTTP
    # response at all, so nothing (not even a 401 from LiteLLM) is served in clear.
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://{host}:{port}/v1/models", timeout=10)


@gateway_only
def test_request_body_limits(gateway_url, master_key):
    auth = f"Authorization: Bearer {master_key}\r\n".encode()
    too_big = _raw_request(
        gateway_url,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth
        + b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n",
    )  # fmt: skip
    assert too_big.startswith(b"HTTP/1.1 413"), too_big[:200]
    chunked = _raw_request(
        gateway_url,
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n",
    )  # fmt: skip
    assert chunked.startswith(b"HTTP/1.1 411"), chunked[:200]


@gateway_only
def test_a_slow_client_flood_does_not_stop_a_keyed_completion(gateway_url, client, master_key):
    """200 connections that trickle a request head (slowloris, bounded: 200 sockets, ~15 s, against
    the sandbox gateway only): a keyed client still gets its completion meanwhile, and haproxy closes
    every slow connection with 408 once llm_ingress_timeout_http_request (10 s) has passed."""
    answers: list[bytes] = []
    lock = threading.Lock()

    def slow() -> None:
        try:
            with _tls(gateway_url, timeout=30) as tls:
                tls.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n")
                data = b""
                for _ in range(25):
                    try:
                        tls.sendall(b"X-a: b\r\n")
                    except OSError:
                        break
                    tls.settimeout(1)
                    try:
                        data += tls.recv(4096)
                    except TimeoutError:
                        continue
                    except (ssl.SSLError, OSError):
                        break
                    if data:
                        break
                with lock:
                    answers.append(data)
        except OSError as error:
            with lock:
                answers.append(f"error {error}".encode())

    threads = [threading.Thread(target=slow, daemon=True) for _ in range(200)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    started = time.perf_counter()
    response = client.post(
        "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {master_key}"}
    )
    keyed_seconds = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"].strip()
    for thread in threads:
        thread.join(timeout=40)
    timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408")]
    assert len(answers) == 200
    assert len(timed_out) == 200, {a[:40] for a in answers}
    assert keyed_seconds < 30


# ---- backends closed to every host but the gateway --------------------------------------------


def _probe_from_a_third_host(script: str) -> str:
    """Run `script` (bash) in a throwaway container on the sandbox network: a host that is neither
    the gateway nor a backend, as an attacker on the same LAN would be."""
    api = docker.from_env()
    output = api.containers.run(
        sandbox.BASE_IMAGE, ["bash", "-c", script], network=sandbox.NETWORK, remove=True, stderr=True
    )
    return output.decode()


def _address(host) -> str:
    return host.interface("eth0").addresses[0]


def test_a_third_host_cannot_reach_the_backend_but_reaches_the_gateway(backend, gateway, backend_profile):
    backend_ip, gateway_ip = _address(backend), _address(gateway)
    port = backend_profile.port
    lines = []
    for route in ROUTES[SELECTED.name]:
        method, path = route.split()
        lines.append(
            f"if timeout 5 bash -c 'exec 3<>/dev/tcp/{backend_ip}/{port}; "
            f'printf "{method} {path} HTTP/1.0\\r\\nHost: x\\r\\nContent-Length: 2\\r\\n\\r\\n{{}}" >&3; '
            f"head -c 12 <&3' 2>/dev/null; then echo ' {route}: answered'; else echo '{route}: refused'; fi"
        )
    for gateway_port in (443, 4000):
        lines.append(
            f"timeout 5 bash -c '</dev/tcp/{gateway_ip}/{gateway_port}' 2>/dev/null"
            f" && echo 'gateway {gateway_port}: open' || echo 'gateway {gateway_port}: refused'"
        )
    out = _probe_from_a_third_host("\n".join(lines))
    for route in ROUTES[SELECTED.name]:
        assert f"{route}: refused" in out, out
    assert "gateway 443: open" in out, out
    assert "gateway 4000: refused" in out, out
    # The refusals are the firewall's: its reject rule counted them.
    counted = re.search(
        r"counter packets (\d+) bytes \d+ reject", backend.check_output("nft list table inet llm_onprem")
    )
    assert counted, "no counted reject rule in table inet llm_onprem"
    assert int(counted.group(1)) >= len(ROUTES[SELECTED.name])
    # The same port answers the gateway (with 401 when the backend has a key of its own).
    status, _ = http_in_host(gateway, f"http://{backend_ip}:{port}{backend_profile.readiness_path}")
    assert status == 200


def test_the_rules_are_loaded_by_a_unit(backend, backend_profile):
    assert backend.service("llm-onprem-firewall").is_enabled
    ruleset = backend.check_output("nft list table inet llm_onprem")
    # Every port a model is served on (llama.cpp and vLLM: one service per model), and no other.
    dport = re.search(r"tcp dport (\{ [^}]* \}|\d+) ", ruleset)
    assert dport, ruleset
    assert sorted(int(p) for p in re.findall(r"\d+", dport.group(1))) == MODEL_PORTS
    # Docker's own NAT table (its DNS) is left alone.
    assert "DOCKER" in backend.check_output("nft list ruleset")


# ---- no secret in argv, journals or -vvv output ------------------------------------------------


def _secrets() -> dict[str, str]:
    """Every secret the controller holds for the sandbox, by file: keys and the CA's key body."""
    found = {}
    for path in sorted(SECRETS.rglob("*")):
        if not path.is_file() or path.suffix == ".crt":
            continue
        text = path.read_text().strip()
        if "PRIVATE KEY" in text:  # the CA's key: 64 characters of its body stand for it
            text = "".join(line for line in text.splitlines() if not line.startswith("-----"))[:64]
        found[str(path.relative_to(SECRETS))] = text
    return found


def test_no_secret_in_argv_journals_or_vvv_output(gateway):
    secrets = _secrets()
    assert "litellm_master_key" in secrets
    assert "tls/ca.key" in secrets
    samples: list[str] = []
    since = f"@{int(time.time()) - 1}"  # this run's journal lines (the hosts share this clock)
    verify = subprocess.Popen(
        [str(BIN / "ansible-playbook"), "-i", "inventories/sandbox", "playbooks/verify.yml", "-vvv"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(verify.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while verify.poll() is None and time.monotonic() < deadline:
        samples.append(subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout)
        samples.append(gateway.run("ps -eo args").stdout)
        time.sleep(0.2)
    verify.wait(timeout=30)
    reader.join(timeout=30)
    assert verify.returncode == 0, "".join(output)[-3000:]
    assert len(samples) > 10
    journals = {
        name: subprocess.run(
            ["docker", "exec", name, "journalctl", "--no-pager", "-o", "cat", "--since", since],
            capture_output=True,
            text=True,
        ).stdout
        for name in (GATEWAY, BACKEND)
    }
    haystacks = {"verify -vvv output": "".join(output), "ps samples": "\n".join(samples), **journals}
    for secret_name, secret in secrets.items():
        bare = secret.removeprefix("sk-")
        for where, text in haystacks.items():
            assert bare not in text, f"{secret_name} appears in {where}"
            # A near-miss of the key (smoke sends one) must not be echoed either: it gives away all but
            # one character.
            assert bare[:-1] not in text, f"{secret_name} (all but its last character) appears in {where}"


# ---- certificate renewal -----------------------------------------------------------------------


def _peer_certificate(gateway_url: str) -> dict:
    with _tls(gateway_url) as tls:
        return tls.getpeercert()


def _days_left(cert: dict) -> float:
    return (ssl.cert_time_to_seconds(cert["notAfter"]) - time.time()) / 86400


@gateway_only
def test_a_converge_reissues_the_certificate_once_it_is_within_the_renewal_window(gateway_url):
    """The 365-day certificate is inside a 390-day renewal window: the converge re-issues it (400
    days), haproxy serves the new one, and the next converge leaves it alone."""
    before = _peer_certificate(gateway_url)
    assert 360 < _days_left(before) <= 366
    window = ("-e", "llm_ingress_tls_cert_days=400", "-e", "llm_ingress_tls_renew_days=390")
    renewed = ansible_playbook("tests/playbooks/ingress.yml", *window)
    assert renewed.returncode == 0, renewed.stdout[-3000:]
    assert recap(renewed.stdout)[GATEWAY]["changed"] >= 1
    after = _peer_certificate(gateway_url)
    assert after["serialNumber"] != before["serialNumber"]
    assert 398 < _days_left(after) <= 401
    again = ansible_playbook("tests/playbooks/ingress.yml", *window)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout)[GATEWAY]["changed"] == 0
    assert _peer_certificate(gateway_url)["serialNumber"] == after["serialNumber"]
