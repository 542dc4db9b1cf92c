"""Gateway memory under soak: LiteLLM users report memory growing until the OOM killer (upstream
#12685, #15128). 2,000 non-streamed completions go to one gateway directly (4 clients, 1 token each,
bounded in time); the resident memory of its unit's processes after them must stay within 20 % of
its value after the first 200 (the warm-up: imports, connection pools, caches)."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.conftest import BIN
from tests.ha.conftest import GATEWAYS, INVENTORY, LITELLM_PORT, MODEL, SECRETS, address, host

pytestmark = pytest.mark.ha

WARM_UP = 200
SOAK = 2000
GROWTH_LIMIT = 1.20
REPORT = INVENTORY / ".state" / "ha-faults.json"


def _rss_kib(name: str) -> int:
    """Resident memory of every process of the litellm unit on `name` (those whose cgroup is the
    unit's: LiteLLM and any worker or helper it starts), in KiB."""
    out = host(name).check_output(
        "for f in $(grep -l '/litellm.service$' /proc/[0-9]*/cgroup); do "
        "grep VmRSS ${f%/cgroup}/status; done 2>/dev/null || true"
    )
    sizes = [int(line.split()[1]) for line in out.splitlines() if line.startswith("VmRSS")]
    assert sizes, f"no process of litellm.service on {name}"
    return sum(sizes)


def _bench(name: str, requests: int, out, stem: str) -> int:
    """`requests` completions straight to gateway `name`; returns how many failed."""
    cmd = [
        str(BIN / "llm-onprem"), "bench", "--url", f"http://{address(name)}:{LITELLM_PORT}",
        "--key-file", str(SECRETS / "litellm_master_key"), "--model", MODEL, "--concurrency", "4",
        "--requests", str(requests), "--duration", "600", "--timeout", "60", "--max-tokens", "1",
        "--no-stream", "--out", str(out), "--stem", stem,
    ]  # fmt: skip
    subprocess.run(cmd, capture_output=True, text=True, timeout=700, check=False)
    samples = json.loads((out / f"{stem}.json").read_text())["levels"][0]["samples"]["gateway"]
    assert len(samples) >= requests, f"{len(samples)} of {requests} within the bench's 600 s bound"
    return sum(1 for s in samples if s.get("error"))


def test_gateway_memory_stays_flat_over_2000_requests(tmp_path):
    gateway = GATEWAYS[0]
    started = time.monotonic()
    failed = _bench(gateway, WARM_UP, tmp_path, "warm-up")
    after_warm_up = _rss_kib(gateway)
    failed += _bench(gateway, SOAK - WARM_UP, tmp_path, "soak")
    after_soak = _rss_kib(gateway)
    result = {
        "requests": SOAK,
        "failed": failed,
        "rss_mib_after_200": round(after_warm_up / 1024, 1),
        "rss_mib_after_2000": round(after_soak / 1024, 1),
        "growth": round(after_soak / after_warm_up - 1, 3),
        "soak_s": round(time.monotonic() - started, 1),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    report["gateway memory soak"] = result
    REPORT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"gateway memory soak: {json.dumps(result, sort_keys=True)}")
    assert failed == 0, result
    assert after_soak <= after_warm_up * GROWTH_LIMIT, result
