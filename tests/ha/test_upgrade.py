"""Rolling upgrade under load: `llm-onprem bench` at 4 clients through the ingress while
playbooks/upgrade.yml rotates every backend key (with an overlap) and changes the backends' and the
gateways' configuration, host by host; not one request may fail. Then (LLM_ONPREM_HA_ROLLBACK=1) the
same playbook without those changes rolls them back, under the same load. Runs last in its pytest
run (tests/ha/conftest.py moves it there; `make e2e-ha-load`, after the fault, soak and VIP
tests): it leaves new backend keys (and, without the rollback, the changed
configuration, which the next site.yml puts back).

What this exercises of "a new version": a changed llama-server command line and a changed LiteLLM
environment go through the same path as a new release (the unit or its inputs change, the service
restarts, the gate waits); the mirror holds one release of each, so a version change itself is not
run here (the unit tests cover the archive replaced under its name and the lock pin check that makes
rolling back safe)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable

import pytest

from tests.conftest import BIN, ROOT, ansible_playbook, recap
from tests.ha.conftest import (
    BACKENDS,
    CA_FILE,
    GATEWAYS,
    INGRESS_URL,
    INVENTORY,
    LLAMA_CPP_PORT,
    MODEL,
    SECRETS,
    address,
    chat,
    host,
)
from tests.support.host_http import http_in_host

# About 12 min on 2 cores (nine host converges, one at a time, under load): `make e2e-ha-load` (so
# `make e2e-ha` and `make test`) runs it; `make e2e-ha-upgrade` runs it alone on the HA sandbox
# `make e2e-ha` or `make demo-ha` left up.
pytestmark = pytest.mark.ha

CLIENTS = 4
REPORT = INVENTORY / ".state" / "ha-faults.json"
# What the upgrade changes (and the rollback puts back): a llama-server flag and a LiteLLM setting.
CHANGES = ["-e", json.dumps({"llama_cpp_ctx_size": 2048, "litellm_redis_recovery_timeout": 11})]


def _invocation(name: str, service: str) -> str:
    return host(name).check_output(f"systemctl show --property=InvocationID --value {service}")


def _invocations() -> dict[str, str]:
    """Each backend's and gateway's current service invocation (a restart makes a new one)."""
    return {n: _invocation(n, "llama-server") for n in BACKENDS} | {
        n: _invocation(n, "litellm") for n in GATEWAYS
    }


def _exec_start(backend: str) -> str:
    return host(backend).check_output("systemctl show llama-server -p ExecStart")


def _key(backend: str) -> str:
    return (SECRETS / backend / "backend_api_key").read_text().strip()


def _backend_status(backend: str, key: str) -> int:
    """A completion sent from the first gateway (which the backend's firewall lets in) with `key`."""
    url = f"http://{address(backend)}:{LLAMA_CPP_PORT}/v1/chat/completions"
    status, _ = http_in_host(host(GATEWAYS[0]), url, key, chat("Hi."))
    return status


def _upgrade(*extra: str) -> tuple[float, dict]:
    started = time.monotonic()
    result = ansible_playbook("playbooks/upgrade.yml", *extra, inventory=INVENTORY, timeout=1500)
    assert result.returncode == 0, result.stdout[-4000:]
    summary = recap(result.stdout)
    assert all(counts["failed"] == 0 for counts in summary.values()), summary
    return round(time.monotonic() - started, 1), summary


def _under_load(tmp_path, run: Callable[[], dict]) -> dict:
    """`run()` while the bench loads the ingress (4 clients, non-streamed, until run() returns);
    returns run()'s figures with the bench's requests, failures and their errors."""
    stop = tmp_path / "stop"
    cmd = [
        str(BIN / "llm-onprem"), "bench", "--url", INGRESS_URL,
        "--key-file", str(SECRETS / "litellm_master_key"), "--ca-file", str(CA_FILE), "--model", MODEL,
        "--concurrency", str(CLIENTS), "--requests", "100000", "--duration", "1800", "--timeout", "60",
        "--max-tokens", "4", "--no-stream", "--stop-file", str(stop),
        "--out", str(tmp_path), "--stem", "upgrade",
    ]  # fmt: skip
    bench = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        time.sleep(5)
        figures = run()
    finally:
        stop.touch()
        output, _ = bench.communicate(timeout=300)
    samples = json.loads((tmp_path / "upgrade.json").read_text())["levels"][0]["samples"]["gateway"]
    assert len(samples) >= 200, output[-2000:]
    failed = [s for s in samples if s.get("error")]
    return {
        "requests": len(samples),
        "failed": len(failed),
        "errors": sorted({str(s["error"])[:120] for s in failed}),
        **figures,
    }


def _record(name: str, result: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    report[name] = result
    REPORT.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"{name}: {json.dumps(result, sort_keys=True)}")


def test_rolling_upgrade_with_key_rotation_fails_no_request(tmp_path):
    old_keys = {b: _key(b) for b in BACKENDS}
    before = _invocations()
    result = _under_load(
        tmp_path, lambda: {"upgrade_s": _upgrade("-e", "llm_rotate_backend_keys=true", *CHANGES)[0]}
    )
    after = _invocations()
    _record("rolling upgrade with key rotation (backend and gateway config changed)", result)
    assert result["failed"] == 0, result
    # Every backend and gateway restarted into the change.
    assert all(after[n] != before[n] for n in before), (before, after)
    assert all("--ctx-size 2048" in _exec_start(b) for b in BACKENDS)
    # The rotation is over: new keys, the old ones refused, nothing left of them on the controller.
    for backend in BACKENDS:
        assert _key(backend) != old_keys[backend]
        assert not (SECRETS / backend / "backend_api_key.previous").exists()
        assert _backend_status(backend, old_keys[backend]) == 401
        assert _backend_status(backend, _key(backend)) == 200


@pytest.mark.skipif(
    not os.environ.get("LLM_ONPREM_HA_ROLLBACK"),
    reason="a second rolling pass over the hosts (about 7 min on 2 cores), the same playbook and "
    "path as the upgrade before it: `make e2e-ha-upgrade LLM_ONPREM_HA_ROLLBACK=1` runs it after the "
    "upgrade (docs/high-availability.md has its figures)",
)
def test_rolling_back_is_the_same_playbook_and_fails_no_request(tmp_path):
    """After the upgrade: upgrade.yml without its changes puts the inventory's configuration back."""
    result = _under_load(tmp_path, lambda: {"rollback_s": _upgrade()[0]})
    _record("rollback (the same playbook, the inventory's configuration)", result)
    assert result["failed"] == 0, result
    assert all("--ctx-size 4096" in _exec_start(b) for b in BACKENDS)
