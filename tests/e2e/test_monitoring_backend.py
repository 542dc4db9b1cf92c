"""What the monitoring host does to a backend, on the backend this tier deployed (the HA sandbox,
where the monitoring host runs, has llama.cpp only: this is where Ollama and vLLM are proven):
the synthetic probe's streamed completion succeeds against it directly, and every backend metric the
dashboards and alert rules name exists on its /metrics (read with its key, as Prometheus scrapes)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import ROOT, load_file_module
from tests.e2e.conftest import BACKEND, MODEL, SECRETS
from tests.support.backends import registry

pytestmark = pytest.mark.e2e

ROLE = ROOT / "roles/llm_monitoring"
PREFIX = {"llama_cpp": "llamacpp:", "vllm": "vllm:"}
probe = load_file_module("roles/llm_monitoring/files/llm_probe.py")


def test_the_probe_completes_against_the_backend(backend, backend_profile, tmp_path):
    """The probe's own code, with the target the role generates for this backend: its /v1 base URL
    (Ollama's OpenAI-compatible one too) and its key file when it requires one."""
    target = {
        "name": f"{BACKEND}/{MODEL}",
        "kind": backend_profile.name,
        "url": f"http://{backend.interface('eth0').addresses[0]}:{backend_profile.port}/v1",
        "model": MODEL,
    }
    if backend_profile.requires_key:
        target["key_file"] = str(SECRETS / BACKEND / "backend_api_key")
    result = probe.complete(target, timeout=60, max_tokens=4)
    print(f"probe against {backend_profile.name}: duration {result.duration:.3f} s, TTFT {result.ttft}")
    assert result.success, result.error
    assert 0 < result.ttft <= result.duration


def _named(prefix: str) -> set[str]:
    texts = [(ROLE / "templates/rules.yml.j2").read_text()]
    for path in (ROLE / "files/dashboards").glob("*.json"):
        dashboard = json.loads(path.read_text())
        texts += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    return set(re.findall(re.escape(prefix) + r"[a-z_]+", "\n".join(texts)))


def test_backend_metrics_named_by_rules_and_dashboards_exist(backend, backend_profile):
    spec = registry()[backend_profile.name]
    if not spec["metrics_path"]:
        pytest.skip(f"{backend_profile.name} has no /metrics (the synthetic probe covers it)")
    names = _named(PREFIX[backend_profile.name])
    assert names, "the rules and dashboards name none of this backend's metrics"
    key = (SECRETS / BACKEND / "backend_api_key").read_text().strip()
    address = backend.interface("eth0").addresses[0]
    response = httpx.get(
        f"http://{address}:{backend_profile.port}{spec['metrics_path']}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
    exported = set(
        re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*?)(?:_bucket|_sum|_count)?(?:\{| )", response.text, re.M)
    )
    exported |= {name.removesuffix("_total") for name in exported} | {f"{n}_total" for n in exported}
    missing = names - exported
    assert not missing, f"named but not exported by {backend_profile.name}: {sorted(missing)}"
