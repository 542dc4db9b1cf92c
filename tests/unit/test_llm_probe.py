"""The probe's own logic (roles/llm_monitoring/files/llm_probe.py) against a local HTTP server that
speaks the streaming wire format: what counts as success, the TTFT, the failure counter, the text
format. The real completions it sends are asserted on the HA sandbox (tests/ha/test_monitoring.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.conftest import load_file_module

probe = load_file_module("roles/llm_monitoring/files/llm_probe.py")


class Upstream(BaseHTTPRequestHandler):
    mode = "ok"
    seen: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Upstream.seen.append({"body": body, "auth": self.headers.get("authorization")})
        if Upstream.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        chunks = [{"choices": [{"delta": {"role": "assistant"}}]}]
        if Upstream.mode != "empty":
            chunks.append({"choices": [{"delta": {"content": "ok"}}]})
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    key = tmp_path / "key"
    key.write_text("sk-secret\n")
    Upstream.seen = []
    yield {
        "name": "be-1/m",
        "kind": "llama_cpp",
        "url": f"http://127.0.0.1:{server.server_port}/v1",
        "model": "m",
        "key_file": str(key),
    }
    server.shutdown()


def test_a_streamed_answer_with_content_succeeds_with_its_ttft_and_the_key(upstream):
    Upstream.mode = "ok"
    result = probe.complete(upstream, timeout=5, max_tokens=4)
    assert result.success
    assert result.ttft is not None
    assert 0 <= result.ttft <= result.duration
    sent = Upstream.seen[0]
    assert sent["auth"] == "Bearer sk-secret"
    assert (sent["body"]["stream"], sent["body"]["max_tokens"], sent["body"]["model"]) == (True, 4, "m")


@pytest.mark.parametrize("mode", ["error", "empty"])
def test_an_error_or_an_answer_without_content_fails(upstream, mode):
    Upstream.mode = mode
    result = probe.complete(upstream, timeout=5, max_tokens=4)
    assert not result.success
    assert result.error


def test_metrics_text_counts_runs_and_failures(upstream):
    registry = probe.Registry([upstream])
    registry.record("be-1/m", probe.Result(True, 0.5, 0.1), None)
    registry.record("be-1/m", probe.Result(False, 2.0, None, "boom"), 1.9e9)
    text = registry.render()
    labels = 'target="be-1/m",kind="llama_cpp"'
    assert f"llm_probe_success{{{labels}}} 0.0" in text
    assert f"llm_probe_runs_total{{{labels}}} 2.0" in text
    assert f"llm_probe_failures_total{{{labels}}} 1.0" in text
    assert f"llm_probe_tls_not_after_timestamp_seconds{{{labels}}} 1900000000.0" in text
    # No TTFT sample for a run that got no token.
    assert "llm_probe_ttft_seconds{" not in text
