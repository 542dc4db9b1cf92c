"""Every backend metric the monitoring role's dashboards and alert rules name exists on the backend's
own /metrics (read with the backend's key, as Prometheus scrapes it), for the backend this tier
deployed. The HA sandbox runs only llama.cpp: this is where the vLLM names are proven."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import BACKEND, SECRETS
from tests.support.backends import registry

pytestmark = pytest.mark.e2e

ROLE = ROOT / "roles/llm_monitoring"
PREFIX = {"llama_cpp": "llamacpp:", "vllm": "vllm:"}


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
