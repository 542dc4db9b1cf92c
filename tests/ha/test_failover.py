"""Faults under load: `llm-onprem bench` at 4 clients, 200 non-streamed requests through the ingress,
while one backend, one gateway or Redis fails. Each test reports the failed requests and the time to
recover (printed, and kept in inventories/sandbox-ha/.state/ha-faults.json for docs/high-availability.md)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.ha.conftest import (
    BACKENDS,
    CA_FILE,
    GATEWAYS,
    INVENTORY,
    LLAMA_CPP_PORT,
    MODEL,
    SECRETS,
    STATE,
    address,
    chat,
    gateway_client,
    host,
    wait_for,
)

pytestmark = pytest.mark.ha

CLIENTS = 4
REQUESTS = 200
FAULT_AFTER_S = 6
REPORT = INVENTORY / ".state" / "ha-faults.json"


def _record(name: str, result: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    results[name] = result
    REPORT.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"{name}: {json.dumps(result, sort_keys=True)}")


def _bench_during(
    fault: Callable[[], None], ingress_url: str, out: Path, stream: bool = False, timeout_s: int = 60
) -> dict:
    """Runs the bench (each request given up after timeout_s), applies `fault` FAULT_AFTER_S seconds
    in, waits for the bench to end (bounded) and returns the gateway's samples: requests, failures
    (with their errors), the fault's time."""
    cmd = [
        str(ROOT / ".venv" / "bin" / "llm-onprem"), "bench", "--url", ingress_url,
        "--key-file", str(SECRETS / "litellm_master_key"), "--ca-file", str(CA_FILE), "--model", MODEL,
        "--concurrency", str(CLIENTS), "--requests", str(REQUESTS), "--max-tokens", "4",
        "--duration", "240", "--timeout", str(timeout_s), "--out", str(out), "--stem", "fault",
    ] + ([] if stream else ["--no-stream"])  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(FAULT_AFTER_S, fault)
    timer.start()
    try:
        output, _ = process.communicate(timeout=400)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    report_file = out / "fault.json"
    assert report_file.exists(), output
    samples = json.loads(report_file.read_text())["levels"][0]["samples"]["gateway"]
    failed = [s for s in samples if s.get("error")]
    return {
        "requests": len(samples),
        "failed": len(failed),
        "errors": sorted({str(s["error"])[:120] for s in failed}),
        "bench_s": round(elapsed, 1),
    }


def _wait(condition: Callable[[], bool], limit_s: float, what: str = "not recovered") -> float:
    """Seconds until `condition()` holds (polled), or fail after limit_s saying `what`."""
    return wait_for(condition, limit_s, what)[0]


def _served_by(backend: str, master_key: str) -> bool:
    """Whether a gateway routes a completion to `backend` (LiteLLM names the deployment's api_base)."""
    wanted = f"http://{address(backend)}:{LLAMA_CPP_PORT}"
    with gateway_client(GATEWAYS[0]) as gateway:
        for _ in range(6):
            response = gateway.post(
                "/v1/chat/completions", json=chat("Hi."), headers={"Authorization": f"Bearer {master_key}"}
            )
            api_base = response.headers.get("x-litellm-model-api-base", "")
            if response.status_code == 200 and api_base.startswith(wanted):
                return True
    return False


def _ready(gateway: str) -> bool:
    with gateway_client(gateway) as client:
        return client.get("/health/readiness").status_code == 200


def test_both_backends_serve(master_key):
    """Each backend answers through the gateway. LiteLLM's simple-shuffle picks one of the two at
    random, and a backend cooled down by an earlier failure (the converge before this restarts none,
    but the verifiers' negative checks may fail requests) is skipped for cooldown_time (30 s): polled
    for longer than that, not decided by six draws."""
    for backend in BACKENDS:
        _wait(lambda b=backend: _served_by(b, master_key), 90, f"{backend} never answered through a gateway")


def test_kill_9_of_a_backend_fails_no_request(ingress_url, master_key, tmp_path):
    """LiteLLM retries on the other backend and cools the dead one down; systemd restarts it and it
    rejoins after the cooldown."""
    victim = host(BACKENDS[0])
    killed_at: list[float] = []

    def fault() -> None:
        victim.run("systemctl kill --signal=KILL llama-server")
        killed_at.append(time.monotonic())

    result = _bench_during(fault, ingress_url, tmp_path)
    assert killed_at, "the fault never ran"
    result["restarted_s"] = _wait(lambda: victim.service("llama-server").is_running, 120)
    _wait(lambda: _served_by(BACKENDS[0], master_key), 120)
    result["rejoined_s_after_kill"] = round(time.monotonic() - killed_at[0], 1)
    _record("backend kill -9, non-streamed", result)
    assert result["requests"] >= REQUESTS
    assert result["failed"] == 0, result


def test_kill_9_of_a_backend_while_streaming(ingress_url, master_key, tmp_path):
    """Streamed requests: a stream already flowing from the killed backend cannot move to another
    one; what the client sees is measured, and no request may hang (each ends within its timeout)."""
    victim = host(BACKENDS[1])
    result = _bench_during(
        lambda: victim.run("systemctl kill --signal=KILL llama-server"), ingress_url, tmp_path, stream=True
    )
    _wait(lambda: _served_by(BACKENDS[1], master_key), 150)
    _record("backend kill -9, streamed", result)
    assert result["requests"] >= REQUESTS
    assert result["failed"] <= CLIENTS, result  # at most the streams in flight on it


# A backend that answers every request with what a restarted llama-server answers until its model is
# loaded: HTTP 503 {"error": {"message": "Loading model", ...}}. It counts the requests it got in a file.
LOADING_STUB = """
import http.server, json
BODY = json.dumps({"error": {"message": "Loading model", "type": "unavailable_error", "code": 503}}).encode()
class Loading(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        # What the gateways send, not the monitoring host's probe (which calls each backend directly).
        if self.headers.get("user-agent") != "llm-probe":
            with open("/run/loading-stub.count", "a") as count:
                count.write("x\\n")
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Loading).serve_forever()
"""


def test_a_backend_answering_loading_model_is_cooled_down_at_once(client, master_key):
    """A restarted llama-server answers 503 "Loading model" until its model is loaded (what cost the
    rolling upgrade 2 of 6,020 requests: LiteLLM's retries drew the loading backend again, a 503 not
    counting as the InternalServerError that cools a backend down at once). Backend 1's port answers
    only that, 40 requests go through the ingress: all succeed, and the loading backend gets one
    request per gateway at most before both gateways skip it (the cooldown shared through Redis;
    with LiteLLM's default policy it got 6 of 40)."""
    victim = host(BACKENDS[0])
    # In rotation first (no cooldown left from an earlier test), so that it is drawn at all.
    _wait(lambda: _served_by(BACKENDS[0], master_key), 90, f"{BACKENDS[0]} never answered")
    victim.run("systemctl stop llama-server")
    try:
        victim.run("rm -f /run/loading-stub.count")
        started = victim.run(
            "systemd-run --unit loading-stub --property=Type=simple python3 -c %s",
            LOADING_STUB.replace("PORT", str(LLAMA_CPP_PORT)),
        )
        assert started.rc == 0, started.stderr
        _wait(lambda: victim.socket(f"tcp://0.0.0.0:{LLAMA_CPP_PORT}").is_listening, 30, "no stub")
        headers = {"Authorization": f"Bearer {master_key}", "Cache-Control": "no-cache"}
        codes = [
            client.post("/v1/chat/completions", json=chat(f"Say {i}."), headers=headers).status_code
            for i in range(40)
        ]
        loading_requests = int(victim.check_output("cat /run/loading-stub.count 2>/dev/null | wc -l"))
    finally:
        victim.run("systemctl stop loading-stub")
        victim.run("systemctl reset-failed loading-stub llama-server")
        victim.run("systemctl start llama-server")
    _wait(lambda: _served_by(BACKENDS[0], master_key), 120)
    served = codes.count(200)
    print(f"backend answering 503 Loading model: {served} of 40 served, {loading_requests} sent to it")
    assert codes == [200] * 40, codes
    assert 1 <= loading_requests <= len(GATEWAYS), loading_requests


def test_systemctl_stop_of_a_gateway_fails_no_request(ingress_url, tmp_path):
    """The gateway finishes its requests in flight and closes; the ingress's health check takes it
    out, and retries a refused connection on the other gateway."""
    victim = host(GATEWAYS[0])
    try:
        result = _bench_during(lambda: victim.run("systemctl stop litellm"), ingress_url, tmp_path)
    finally:
        victim.run("systemctl start litellm")
    result["back_in_rotation_s"] = _wait(lambda: _ready(GATEWAYS[0]), 180)
    _record("gateway systemctl stop", result)
    assert result["requests"] >= REQUESTS
    assert result["failed"] == 0, result


def test_kill_9_of_a_gateway_fails_at_most_the_requests_in_flight(ingress_url, tmp_path):
    victim = host(GATEWAYS[1])
    result = _bench_during(lambda: victim.run("systemctl kill --signal=KILL litellm"), ingress_url, tmp_path)
    result["restarted_ready_s"] = _wait(lambda: _ready(GATEWAYS[1]), 180)
    _record("gateway kill -9", result)
    assert result["requests"] >= REQUESTS
    assert result["failed"] <= CLIENTS, result


def _limits_shared(master_key: str) -> bool:
    """Whether the gateways count one key's requests together again: a key allowed 2 a minute, one
    request on each gateway, then a third is refused (each counting alone would allow it)."""
    admin = {"Authorization": f"Bearer {master_key}"}
    with gateway_client(GATEWAYS[0]) as first, gateway_client(GATEWAYS[1]) as second:
        made = first.post("/key/generate", json={"models": [MODEL], "rpm_limit": 2}, headers=admin)
        assert made.status_code == 200, made.text
        key = made.json()["key"]
        try:
            auth = {"Authorization": f"Bearer {key}"}
            codes = [
                gateway.post("/v1/chat/completions", json=chat(f"Count {i}."), headers=auth).status_code
                for i, gateway in enumerate((first, second, first))
            ]
            return codes == [200, 200, 429]
        finally:
            first.post("/key/delete", json={"keys": [key]}, headers=admin)


def test_requests_keep_succeeding_while_redis_is_stopped(ingress_url, master_key, tmp_path):
    """Without Redis the gateways serve on (no shared cache; limits counted per gateway meanwhile).
    Once it is back, each gateway's LiteLLM calls it again only after its Redis circuit breaker lets a
    probe through (REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT, 60 s upstream): measured as the time until
    one key's limit holds across both gateways again (which the shared-state tests after this rely on)."""
    state = host(STATE)
    try:
        result = _bench_during(lambda: state.run("systemctl stop redis-server"), ingress_url, tmp_path)
    finally:
        state.run("systemctl start redis-server")
    result["limits_shared_again_s_after_start"] = _wait(lambda: _limits_shared(master_key), 180)
    _record("redis stopped", result)
    assert result["requests"] >= REQUESTS
    assert result["failed"] == 0, result
