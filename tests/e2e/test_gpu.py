"""GPU proof for the sandbox backend: the model really sits in VRAM. Runs on GPU hosts, skipped with
the reason elsewhere (never reported as passed on a CPU host)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import MODEL, SELECTED

pytestmark = [pytest.mark.e2e, pytest.mark.gpu]

PS_PROBE = """
import json, sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/api/ps", timeout=30).read().decode())
"""


@pytest.mark.skipif(SELECTED.name != "ollama", reason="the VRAM check reads Ollama's /api/ps")
def test_ollama_model_is_in_vram_and_nvidia_uvm_loaded(backend, client, master_key):
    if not backend.file("/dev/nvidiactl").exists:
        pytest.skip("no NVIDIA GPU on llm-onprem-backend-1 (CPU host): the VRAM check needs one")
    assert "\nnvidia_uvm " in "\n" + backend.file("/proc/modules").content_string, (
        "nvidia_uvm is not loaded: Ollama falls back to the CPU"
    )
    response = client.post(
        "/v1/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 8},
        headers={"Authorization": f"Bearer {master_key}"},
    )
    assert response.status_code == 200
    address = backend.interface("eth0").addresses[0]
    running = json.loads(backend.check_output("python3 -c %s %s", PS_PROBE, f"http://{address}:11434"))
    ours = [m for m in running["models"] if m["name"].startswith(MODEL)]
    assert ours, running
    assert ours[0]["size_vram"] > 0, f"{MODEL} runs on the CPU: {ours[0]}"
