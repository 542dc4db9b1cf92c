"""The gateway benchmark's pieces: the zero-latency upstream (benchmark only), the saturation curve's
reading, the bench instance's config and the report (src/llm_onprem/{null_upstream,bench_saturation,
gateway_cost}.py)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from llm_onprem import gateway_cost, null_upstream
from llm_onprem.bench import Target, Workload, one_request
from llm_onprem.bench_saturation import Point, closed_loop, one_client, point, saturation
from llm_onprem.bench_stats import Sample


def _point(c: int, rps: float) -> Point:
    return Point(c, 100, 0, rps, 10.0, 12.0, 10.0)


def test_saturation_is_the_best_throughput_and_the_knee_the_fewest_clients_reaching_90_percent():
    curve = [_point(1, 40), _point(2, 70), _point(4, 78), _point(8, 80), _point(16, 79)]
    got = saturation(curve)
    assert got.requests_per_s == 80
    assert got.knee == 4  # 78 >= 72, 70 is not


def test_a_curve_still_rising_has_its_knee_at_the_last_level():
    assert saturation([_point(1, 10), _point(2, 20), _point(4, 40)]).knee == 4


def test_no_levels_is_an_error():
    with pytest.raises(ValueError, match="no levels"):
        saturation([])


def test_the_upstream_answers_one_token_plain_and_streamed():
    body = json.dumps({"model": "m", "messages": []}).encode()
    head, _, payload = null_upstream.answer("POST", "/v1/chat/completions", body).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert f"Content-Length: {len(payload)}".encode() in head
    reply = json.loads(payload)
    assert reply["choices"][0]["message"]["content"] == "ok"
    assert reply["usage"]["completion_tokens"] == 1
    body = json.dumps({"model": "m", "stream": True, "stream_options": {"include_usage": True}}).encode()
    _, _, events = null_upstream.answer("POST", "/v1/chat/completions", body).partition(b"\r\n\r\n")
    data = [line.removeprefix("data: ") for line in events.decode().split("\n\n") if line]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks[0]["choices"][0]["delta"]["content"] == "ok"
    assert chunks[-1]["usage"]["completion_tokens"] == 1
    assert null_upstream.answer("POST", "/v1/chat/completions", b"{").startswith(b"HTTP/1.1 400")
    assert null_upstream.answer("GET", "/nothing", b"").startswith(b"HTTP/1.1 404")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def upstream():
    """The upstream as `llm-onprem gateway-cost` runs it: its module's entry point, in its own process."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llm_onprem.null_upstream", "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("stream", [False, True])
def test_the_bench_client_reads_the_upstream_over_keep_alive_connections(upstream, stream):
    work = Workload("null", max_tokens=1, stream=stream, timeout=10)
    target = Target("direct", upstream, "")

    async def run():
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=2)) as client:
            return await closed_loop(client, target, work, 2, 0.3)

    samples = asyncio.run(run())
    assert samples
    assert not [s.error for s in samples if s.error]
    assert all(s.output_tokens == 1 for s in samples)

    async def one():
        async with httpx.AsyncClient() as client:
            return await one_request(client, target, work)

    assert asyncio.run(one()).ttft is not None


def test_the_bench_instance_keeps_the_deployed_settings_and_serves_only_the_upstream():
    deployed = {
        "model_list": [{"model_name": "a", "litellm_params": {"model": "openai/a"}}],
        "router_settings": {"num_retries": 2, "fallbacks": [{"a": ["b"]}]},
        "litellm_settings": {"callbacks": ["llm_capabilities.guard", "prometheus"]},
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }
    config = gateway_cost.bench_config(deployed, "http://127.0.0.1:18080/v1")
    assert [m["model_name"] for m in config["model_list"]] == ["null"]
    assert config["model_list"][0]["litellm_params"]["api_base"] == "http://127.0.0.1:18080/v1"
    assert config["router_settings"] == {"num_retries": 2}
    assert config["litellm_settings"] == deployed["litellm_settings"]
    assert config["general_settings"] == deployed["general_settings"]
    assert deployed["router_settings"]["fallbacks"]  # the deployed config is not changed


def test_hidden_modules_fail_to_import_in_the_process_whose_path_has_the_sitecustomize(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(gateway_cost.sitecustomize(["json", "email.mime"]))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for module in ("json", "email.mime.text"):  # a module, and a package's submodule
        run = subprocess.run(
            [sys.executable, "-c", f"import {module}"], env=env, capture_output=True, text=True, check=False
        )
        assert run.returncode != 0
        assert "ModuleNotFoundError" in run.stderr, run.stderr
    assert subprocess.run([sys.executable, "-c", "import csv"], env=env, check=False).returncode == 0


def test_the_floor_is_a_plain_keep_alive_hop():
    text = gateway_cost.floor_config(18080, 18081, "10.0.0.2:8080")
    for line in ("bind 127.0.0.1:18081", "server upstream 127.0.0.1:18080", "option http-keep-alive"):
        assert line in text
    assert "server backend 10.0.0.2:8080" in text
    assert "backend backend" not in gateway_cost.floor_config(18080, 18081, None)


def test_the_report_shows_what_each_target_adds_and_its_capacity():
    def row(lat, rps, knee):
        return {
            "one_client": {"requests": 200, "latency_p50_ms": lat, "ttft_p50_ms": lat, "errors": 0},
            "curve": [],
            "saturation": {"requests_per_s": rps, "knee": knee},
        }

    mode = {
        "direct": row(0.5, 900, 2),
        "floor": row(0.6, 700, 2),
        "before": row(15.0, 75, 2),
        "deployed": row(11.0, 95, 2),
    }
    report = {"targets": list(mode), "levels": [1, 2], "non_streamed": mode, "streamed": mode}
    text = gateway_cost.render(report, "direct", "Zero-latency upstream")
    assert "| floor | 0.6 | +0.1 | 700 | 2 |  | 0 |" in text
    assert "| deployed | 11.0 | +10.5 | 95 | 2 | 1.27x | 0 |" in text
    assert "| before | 15.0 | +14.5 | 75 | 2 | 1.00x | 0 |" in text
    assert "TTFT" in text
    assert gateway_cost.added(report, "streamed", "before", "direct", "ttft_p50_ms") == 14.5


def test_a_levels_throughput_counts_only_the_time_its_target_was_loaded():
    # Two turns of 1 s each, 10 s apart (other targets ran in between): 40 requests in 2 s.
    samples = [
        Sample(t, t + 0.05, t + 0.01, 1)
        for t in (*[i * 0.05 for i in range(20)], *[10 + i * 0.05 for i in range(20)])
    ]
    got = point(1, samples, 2.0)
    assert got.requests_per_s == 20
    assert round(got.latency_p50_ms) == 50


def test_one_client_interleaves_the_targets_with_quiet_between_requests(upstream):
    targets = [Target("a", upstream, ""), Target("b", upstream, "")]
    work = Workload("null", max_tokens=1, stream=False, timeout=10)
    began = time.perf_counter()
    got = asyncio.run(one_client(targets, work, 5, 0.02))
    assert time.perf_counter() - began >= (5 * 2 + 2) * 0.02
    assert {name: row["requests"] for name, row in got.items()} == {"a": 5, "b": 5}
    assert all(row["errors"] == 0 and row["latency_p50_ms"] > 0 for row in got.values())


def test_failed_requests_are_counted_with_their_commonest_reason():
    row = {
        "one_client": {"errors": 1},
        "curve": [
            {"errors": 2, "failures": {"HTTP 429: no deployments": 2}},
            {"errors": 5, "failures": {"ConnectError: refused": 4, "HTTP 429: no deployments": 1}},
        ],
    }
    assert gateway_cost.failed(row) == "8 (ConnectError: refused)"
    assert gateway_cost.failed({"one_client": {"errors": 0}, "curve": [{"errors": 0}]}) == "0"


def test_a_variant_changes_only_its_own_settings():
    config = {
        "model_list": [1],
        "litellm_settings": {"callbacks": ["llm_capabilities.guard", "prometheus"], "a": 1},
    }
    by_name = {v.name: v for v in gateway_cost.VARIANTS}
    got = gateway_cost.variant_config(config, by_name["no prometheus"])
    assert got["litellm_settings"] == {"callbacks": ["llm_capabilities.guard"], "a": 1}
    assert got["model_list"] == [1]
    assert gateway_cost.variant_config(config, by_name["deployed"]) == config
    assert config["litellm_settings"]["callbacks"] == ["llm_capabilities.guard", "prometheus"]
    assert by_name["before"].hide == ("opentelemetry.sdk",)
