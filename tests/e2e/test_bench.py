"""A short `llm-onprem bench` against the sandbox: the gateway and the backend directly, interleaved."""

import json
import subprocess

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import BACKEND, CA_FILE, MODEL, SECRETS

pytestmark = pytest.mark.e2e


def _bench(backend, backend_profile, gateway_url, *args: str, timeout: int):
    """`llm-onprem bench` against the gateway and, interleaved, the backend directly (with its key
    when the backend requires one)."""
    address = backend.interface("eth0").addresses[0]
    cmd = [
        str(ROOT / ".venv" / "bin" / "llm-onprem"), "bench",
        "--url", gateway_url, "--key-file", str(SECRETS / "litellm_master_key"), "--ca-file", str(CA_FILE),
        "--direct-url", f"http://{address}:{backend_profile.port}", "--model", MODEL, *args,
    ]  # fmt: skip
    if backend_profile.requires_key:
        cmd += ["--direct-key-file", str(SECRETS / BACKEND / "backend_api_key")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_short_bench_gateway_and_direct(backend, backend_profile, gateway_url, tmp_path):
    """With the sandbox's application key (a virtual key, DB mode) as a third target: what DB-mode
    auth adds over the master key is reported."""
    result = _bench(
        backend, backend_profile, gateway_url,
        "--concurrency", "1", "2", "--requests", "4", "--max-tokens", "16",
        "--duration", "90", "--out", str(tmp_path), "--stem", "short",
        "--key-target", f"app={SECRETS / 'litellm_keys' / 'demo-app'}",
        timeout=600,
    )  # fmt: skip
    assert "[bench]" in result.stderr, "progress is shown"

    report = json.loads((tmp_path / "short.json").read_text())
    assert [lv["concurrency"] for lv in report["levels"]] == [1, 2]
    for level in report["levels"]:
        for target in ("gateway", "app", "direct"):
            summary = level["summary"][target]
            assert summary["requests"] == 4, (target, summary)
            assert summary["errors"] == 0, (target, level["samples"][target])
            assert summary["output_tokens_per_s"] > 0
            assert 0 < summary["ttft"]["p50"] <= summary["latency"]["p50"]
            assert all(s["output_tokens"] > 0 for s in level["samples"][target])
    assert len(report["ratios"]["gateway/direct"]) == 2
    assert len(report["ratios"]["app/direct"]) == 2
    assert [d["concurrency"] for d in report["deltas_ms"]["app-gateway"]] == [1, 2]
    assert (tmp_path / "short.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (tmp_path / "short.md").read_text()
    assert "| 2 | direct | 4 | 0 |" in markdown


def test_non_streamed_bench_gateway_and_direct(backend, backend_profile, gateway_url, tmp_path):
    """`--no-stream` (what `llm-onprem overhead` measured): plain JSON completions, interleaved."""
    _bench(
        backend, backend_profile, gateway_url,
        "--no-stream", "--concurrency", "1", "--requests", "3", "--max-tokens", "8",
        "--duration", "60", "--out", str(tmp_path), "--stem", "plain",
        timeout=300,
    )  # fmt: skip
    level = json.loads((tmp_path / "plain.json").read_text())["levels"][0]
    for target in ("gateway", "direct"):
        assert level["summary"][target]["errors"] == 0, level["samples"][target]
        assert all(s["output_tokens"] > 0 for s in level["samples"][target])
        # Non-streamed: the first token arrives with the whole response.
        assert level["summary"][target]["ttft"]["p50"] == level["summary"][target]["latency"]["p50"]
