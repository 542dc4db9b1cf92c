"""The HA sandbox's monitoring host (llm_monitoring): every scrape target up, the synthetic probe's
real completions through the gateway and each backend, metrics closed to clients, an alert that
fires and resolves for real, and every dashboard query answered by the sandbox's Prometheus."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from llm_onprem.inventory import sandbox_hosts
from tests.conftest import ROOT
from tests.ha.conftest import (
    BACKENDS,
    GATEWAYS,
    INVENTORY,
    LITELLM_PORT,
    MODEL,
    STATE,
    address,
    host,
    wait_for,
)
from tests.support.http_in_host import get_json, prometheus_query

pytestmark = pytest.mark.ha

MONITORING = "llm-onprem-ha-monitoring-1"
PROMETHEUS = "http://127.0.0.1:9090"
DASHBOARDS = sorted((ROOT / "roles/llm_monitoring/files/dashboards").glob("*.json"))
HOSTS = [spec.name for spec in sandbox_hosts(INVENTORY / "hosts.yml", published_port=0)]
# The test's webhook receiver on the monitoring host (group_vars/llm_monitoring.yml points
# Alertmanager at it): it appends each notification to a file.
RECEIVER = """
import http.server
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with open("/run/alert-receiver.jsonl", "ab") as out:
            out.write(body.replace(b"\\n", b" ") + b"\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", 9099), Receiver).serve_forever()
"""


def _wait(condition, limit_s: float, what: str):
    return wait_for(condition, limit_s, what, every_s=2)


@pytest.fixture(scope="module")
def monitoring():
    return host(MONITORING)


def _targets(monitoring) -> list[dict]:
    return get_json(monitoring, f"{PROMETHEUS}/api/v1/targets?state=active")["data"]["activeTargets"]


def test_every_scrape_target_is_up(monitoring):
    """node on every host, llama.cpp on both backends (with their keys), LiteLLM on both gateways,
    Prometheus, Alertmanager and the probe; no DCGM target: no host is in nvidia_gpu here (the
    sandbox has no GPU; the role reports the exporter skipped with that reason)."""
    expected = (
        {("node", h) for h in HOSTS}
        | {("llama_cpp", b) for b in BACKENDS}
        | {("litellm", g) for g in GATEWAYS}
        | {("prometheus", MONITORING), ("alertmanager", MONITORING), ("llm_probe", MONITORING)}
    )

    def all_up():
        targets = _targets(monitoring)
        seen = {(t["labels"]["job"], t["labels"]["instance"]): t["health"] for t in targets}
        return seen if set(seen) == expected and set(seen.values()) == {"up"} else None

    waited, seen = _wait(all_up, 90, "every target up")
    print(f"{len(seen)} targets up after {waited} s")
    assert not any(job == "dcgm" for job, _ in seen)


def test_the_probe_completes_through_the_gateway_and_each_backend(monitoring):
    wanted = {"gateway"} | {f"{b}/{MODEL}" for b in BACKENDS}

    def probed():
        ok = {r["metric"]["target"] for r in prometheus_query(monitoring, "llm_probe_success == 1")}
        return ok if wanted <= ok else None

    _wait(probed, 90, "a successful probe of every target")
    ttft = {
        r["metric"]["target"]: float(r["value"][1])
        for r in prometheus_query(monitoring, "llm_probe_ttft_seconds")
    }
    duration = {
        r["metric"]["target"]: float(r["value"][1])
        for r in prometheus_query(monitoring, "llm_probe_duration_seconds")
    }
    print(f"probe TTFT {ttft}, duration {duration}")
    for target in wanted:
        assert 0 < ttft[target] <= duration[target] < 8, target
    # The gateway's certificate (the sandbox CA's, 365 days) is read by the probe.
    days = prometheus_query(monitoring, "(llm_probe_tls_not_after_timestamp_seconds - time()) / 86400")
    assert [r["metric"]["target"] for r in days] == ["gateway"]
    assert 300 < float(days[0]["value"][1]) <= 366
    # The gateway saw the probe's own key (its alias in LiteLLM's metrics), never the master key.
    keys = prometheus_query(monitoring, "sum by (api_key_alias) (litellm_proxy_total_requests_metric_total)")
    assert "llm-probe" in {r["metric"].get("api_key_alias") for r in keys}


def test_metrics_are_closed_to_clients_and_to_other_hosts(client):
    """The ingress refuses /metrics (LiteLLM's is open without a key, for the monitoring host only);
    a host that is neither an ingress nor the monitoring host cannot reach the gateway's port or a
    node exporter."""
    for path in ("/metrics", "/metrics/", "/metrics/x"):
        assert client.get(path).status_code == 404, path
    other = host(STATE)
    for target, port in ((GATEWAYS[0], LITELLM_PORT), (BACKENDS[0], 9100)):
        probe = other.run(
            "python3 -c %s",
            f"import socket; socket.create_connection(({address(target)!r}, {port}), timeout=5)",
        )
        assert probe.rc != 0, (target, port)
        assert "ConnectionRefusedError" in probe.stderr, (target, port, probe.stderr)


def _notifications(monitoring) -> list[dict]:
    text = monitoring.run("cat /run/alert-receiver.jsonl 2>/dev/null").stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _alert(monitoring, status: str, instance: str) -> dict | None:
    for note in _notifications(monitoring):
        for alert in note.get("alerts", []):
            labels = alert["labels"]
            if (
                labels["alertname"] == "LlmBackendDown"
                and labels["instance"] == instance
                and alert["status"] == status
            ):
                return alert
    return None


def test_a_stopped_backend_fires_its_alert_to_the_webhook_and_resolves(monitoring):
    """llama-server stopped on backend 1: LlmBackendDown (for: 20 s here) reaches the webhook
    receiver; started again, the resolved notification follows."""
    victim = host(BACKENDS[0])
    monitoring.run("rm -f /run/alert-receiver.jsonl; systemctl stop alert-receiver")
    monitoring.run("systemctl reset-failed alert-receiver")
    started = monitoring.run(
        f"systemd-run --unit alert-receiver --property=Type=simple python3 -c {shlex.quote(RECEIVER)}"
    )
    assert started.rc == 0, started.stderr
    try:
        victim.run("systemctl stop llama-server")
        try:
            # Within its window: `for:` 20 s, plus a scrape, an evaluation and Alertmanager's group_wait
            # (5 s each here), with room for two busy cores (measured 28.7 s alone).
            fired_s, alert = _wait(
                lambda: _alert(monitoring, "firing", BACKENDS[0]), 75, "LlmBackendDown at the webhook"
            )
            assert alert["annotations"]["runbook"]
            assert alert["labels"]["severity"] == "critical"
        finally:
            victim.run("systemctl reset-failed llama-server")
            victim.run("systemctl start llama-server")
        # Back up: the next scrape, an evaluation, then Alertmanager's group_interval (10 s here).
        resolved_s, _ = _wait(
            lambda: _alert(monitoring, "resolved", BACKENDS[0]), 75, "the resolved notification"
        )
    finally:
        monitoring.run("systemctl stop alert-receiver")
    print(
        f"LlmBackendDown reached the webhook {fired_s} s after the stop (for: 20 s), "
        f"resolved {resolved_s} s after the start"
    )
    # Only backend 1 was reported down.
    assert not _alert(monitoring, "firing", BACKENDS[1])


def _queries(path: Path) -> list[tuple[str, str]]:
    dashboard = json.loads(path.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_dashboard_query_returns_data(monitoring, dashboard):
    """Each panel's query, as Grafana sends it ($__rate_interval as 1m), against the sandbox's
    Prometheus. Skipped, with the reason: the GPU panels (DCGM: no GPU here) and the vLLM-only panel
    (no vLLM in this sandbox; tests/e2e/test_monitoring_backend.py checks its names on vLLM's own
    /metrics in the vllm tier)."""
    empty, skipped = [], []
    for title, expr in _queries(dashboard):
        if "DCGM_" in expr:
            skipped.append(f"{title}: DCGM metrics need a GPU host (none in the sandbox)")
            continue
        if "vllm:" in expr and "llamacpp:" not in expr:
            skipped.append(f"{title}: vLLM-only metric, no vLLM backend in the HA sandbox")
            continue
        query = expr.replace("$__rate_interval", "1m")
        if not prometheus_query(monitoring, query):
            empty.append(f"{title}: {query}")
    print(f"{dashboard.name}: skipped {skipped}")
    if not _queries(dashboard) or len(skipped) == len(_queries(dashboard)):
        pytest.skip("; ".join(skipped))
    assert not empty, empty
