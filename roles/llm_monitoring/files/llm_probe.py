#!/usr/bin/env python3
"""llm-probe: a real completion through the gateway and through each backend, every N seconds,
exported as Prometheus metrics (role llm_monitoring).

A `/health` that answers 200 proves little: an engine can hang while its health route answers
(vllm#39863). So each cycle sends a streamed chat completion of a few tokens to every target and
records whether it returned content, how long it took and when its first token came. It also reads
the gateway's TLS certificate's expiry. Python's standard library only: it runs on the distribution's
python3. Its configuration (targets, key files) is a JSON file; no secret is ever on its command line.

Metrics (gauges unless noted), labelled target (a name) and kind (gateway, or the backend kind):
  llm_probe_success                 1 when the last completion returned content, else 0
  llm_probe_duration_seconds        the last completion's whole time
  llm_probe_ttft_seconds            the last completion's time to its first content token
  llm_probe_last_run_timestamp_seconds
  llm_probe_runs_total, llm_probe_failures_total (counters)
  llm_probe_tls_not_after_timestamp_seconds   the gateway certificate's notAfter (target=gateway only)
"""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

PROMPT = "Reply with one word: ok"


class Result:
    def __init__(self, success: bool, duration: float, ttft: float | None, error: str = "") -> None:
        self.success, self.duration, self.ttft, self.error = success, duration, ttft, error


def read_secret(path: str | None) -> str | None:
    if not path:
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def tls_context(target: dict[str, Any]) -> ssl.SSLContext | None:
    if not target["url"].startswith("https:"):
        return None
    return ssl.create_default_context(cafile=target.get("ca_file") or None)


def complete(target: dict[str, Any], timeout: float, max_tokens: int) -> Result:
    """One streamed chat completion; success when at least one content token arrived and the stream
    ended with [DONE]."""
    body = json.dumps(
        {
            "model": target["model"],
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
    ).encode()
    # Never answered from the gateway's response cache (the same prompt every time): the probe must
    # reach a backend.
    headers = {"Content-Type": "application/json", "User-Agent": "llm-probe", "Cache-Control": "no-cache"}
    key = read_secret(target.get("key_file"))
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        target["url"].rstrip("/") + "/chat/completions", data=body, headers=headers, method="POST"
    )
    start = time.monotonic()
    ttft: float | None = None
    done = False
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=tls_context(target)) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices") or []:
                    if ttft is None and (choice.get("delta") or {}).get("content"):
                        ttft = time.monotonic() - start
    except (OSError, ValueError, urllib.error.URLError) as error:
        return Result(False, time.monotonic() - start, ttft, f"{type(error).__name__}: {error}")
    duration = time.monotonic() - start
    if ttft is None or not done:
        return Result(False, duration, ttft, "no content token" if ttft is None else "stream not ended")
    return Result(True, duration, ttft)


def tls_not_after(target: dict[str, Any], timeout: float) -> float | None:
    """The notAfter of the certificate the target's HTTPS port presents (verified against its CA)."""
    context = tls_context(target)
    if context is None:
        return None
    parts = urlsplit(target["url"])
    try:
        with (
            socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
        ):
            cert = tls.getpeercert()
    except OSError:
        return None
    return float(ssl.cert_time_to_seconds(cert["notAfter"])) if cert and "notAfter" in cert else None


class Registry:
    """The probe's metrics, rendered in Prometheus's text format."""

    def __init__(self, targets: list[dict[str, Any]]) -> None:
        self.lock = threading.Lock()
        self.targets = targets
        self.last: dict[str, Result] = {}
        self.last_run: dict[str, float] = {}
        self.runs = {t["name"]: 0 for t in targets}
        self.failures = {t["name"]: 0 for t in targets}
        self.not_after: dict[str, float] = {}

    def record(self, name: str, result: Result, not_after: float | None) -> None:
        with self.lock:
            self.last[name] = result
            self.last_run[name] = time.time()
            self.runs[name] += 1
            self.failures[name] += 0 if result.success else 1
            if not_after is not None:
                self.not_after[name] = not_after

    def render(self) -> str:
        out: list[str] = []

        def family(name: str, kind: str, text: str, values: list[tuple[dict[str, Any], float]]) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")
            for target, value in values:
                labels = f'target="{target["name"]}",kind="{target["kind"]}"'
                out.append(f"{name}{{{labels}}} {value}")

        with self.lock:
            done = [t for t in self.targets if t["name"] in self.last]
            family(
                "llm_probe_success",
                "gauge",
                "1 when the last probe completion returned content.",
                [(t, 1.0 if self.last[t["name"]].success else 0.0) for t in done],
            )
            family(
                "llm_probe_duration_seconds",
                "gauge",
                "The last probe completion's duration.",
                [(t, round(self.last[t["name"]].duration, 6)) for t in done],
            )
            family(
                "llm_probe_ttft_seconds",
                "gauge",
                "The last probe completion's time to first token.",
                [
                    (t, round(self.last[t["name"]].ttft or 0.0, 6))
                    for t in done
                    if self.last[t["name"]].ttft is not None
                ],
            )
            family(
                "llm_probe_last_run_timestamp_seconds",
                "gauge",
                "When the last probe ran.",
                [(t, round(self.last_run[t["name"]], 3)) for t in done],
            )
            family(
                "llm_probe_runs_total",
                "counter",
                "Probe completions sent.",
                [(t, float(self.runs[t["name"]])) for t in self.targets],
            )
            family(
                "llm_probe_failures_total",
                "counter",
                "Probe completions that failed.",
                [(t, float(self.failures[t["name"]])) for t in self.targets],
            )
            family(
                "llm_probe_tls_not_after_timestamp_seconds",
                "gauge",
                "notAfter of the certificate the target presents.",
                [(t, self.not_after[t["name"]]) for t in self.targets if t["name"] in self.not_after],
            )
        return "\n".join(out) + "\n"


def probe_loop(
    registry: Registry, target: dict[str, Any], config: dict[str, Any], stop: threading.Event
) -> None:
    interval = float(config.get("interval_seconds", 30))
    timeout = float(config.get("timeout_seconds", 20))
    max_tokens = int(config.get("max_tokens", 4))
    while not stop.is_set():
        started = time.monotonic()
        result = complete(target, timeout, max_tokens)
        registry.record(target["name"], result, tls_not_after(target, timeout))
        if not result.success:
            print(f"llm-probe: {target['name']} failed: {result.error}", file=sys.stderr, flush=True)
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def handler_for(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/metrics", "/metrics/"):
                self.send_error(404)
                return
            body = registry.render().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the JSON configuration (targets, interval)")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    targets = config.get("targets") or []
    registry = Registry(targets)
    stop = threading.Event()
    for target in targets:
        threading.Thread(target=probe_loop, args=(registry, target, config, stop), daemon=True).start()
    host, port = config.get("listen", "127.0.0.1:9109").rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), handler_for(registry))
    try:
        server.serve_forever()
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
