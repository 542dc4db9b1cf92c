"""Failures users must get early and clearly, through the real play against the sandbox backend."""

from __future__ import annotations

import json
import re

import pytest

from llm_onprem.mirror import SMOLLM2_SHA256
from tests.conftest import ansible_playbook
from tests.e2e.conftest import SELECTED

pytestmark = pytest.mark.e2e

GOOD = SMOLLM2_SHA256
WRONG = "0" * 64
HOST = "llm-onprem-backend-1"


@pytest.mark.skipif(
    SELECTED.name == "vllm",
    reason="vLLM serves Hugging Face snapshots, not a GGUF; its files go "
    "through the same llm_artifact download, whose mismatch path is tested here and in tests/unit",
)
def test_gguf_with_wrong_sha256_fails_and_leaves_nothing(backend, backend_profile):
    models = backend_profile.models_dir
    before = backend.check_output("ls -A %s", models)
    catalog = {
        "llm_models": [
            {
                "name": "smollm2-135m-instruct",
                "backend": backend_profile.name,
                "gguf": {
                    "url": "{{ llm_mirror_url }}/models/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "sha256": WRONG,
                    "file": "wrong-checksum.gguf",
                },
            }
        ]
    }
    result = ansible_playbook("playbooks/site.yml", "--limit", HOST, "-e", json.dumps(catalog))
    assert result.returncode != 0
    assert f"{models}/wrong-checksum.gguf" in result.stdout, "the message names the file"
    assert WRONG in result.stdout, "the message names the expected hash"
    assert GOOD in result.stdout, "the message names the actual hash"
    assert backend.check_output("ls -A %s", models) == before, "no partial or new file"
    assert backend.service(backend_profile.service).is_running, "the running service is untouched"


def test_non_numeric_port_fails_at_role_entry(backend, backend_profile):
    unit_path = f"/etc/systemd/system/{backend_profile.service}.service"
    unit = backend.file(unit_path).content_string
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", HOST, "-e", f"{backend_profile.port_variable}=eighty"
    )
    assert result.returncode != 0
    assert backend_profile.port_variable in result.stdout
    assert "Validating arguments against arg spec" in result.stdout
    assert backend.file(unit_path).content_string == unit
    assert backend.service(backend_profile.service).is_running


@pytest.mark.skipif(
    SELECTED.name == "vllm",
    reason="vLLM's own guard sizes the KV cache against GPU memory (roles/vllm/tasks/sizing.yml, "
    "unit-tested); the GGUF fit check is llama.cpp's and Ollama's",
)
def test_models_that_do_not_fit_the_host_are_refused_before_anything_changes(backend, backend_profile):
    """A context of 2**26 tokens gives SmolLM2 a KV cache of about 1.4 TiB: the play stops after the
    download with each model's figures and the variables to change; the running services stay."""
    context = {"llama_cpp": "llama_cpp_ctx_size", "ollama": "ollama_context_length"}[SELECTED.name]
    unit_path = f"/etc/systemd/system/{backend_profile.service}.service"
    unit = backend.file(unit_path).content_string
    result = ansible_playbook("playbooks/site.yml", "--limit", HOST, "-e", f"{context}={2**26}")
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert f"{SELECTED.name}: the models need" in flat, flat[-3000:]
    # The KV cache of SmolLM2 (30 layers, 3 KV heads of 64 + 64 values at f16) for the context of
    # every parallel slot (Ollama: the context length times ollama_num_parallel).
    figures = re.search(
        r"smollm2-135m-instruct: file 93 MiB \+ KV cache (\d+) MiB \((\d+) tokens x 30 layers\)", flat
    )
    assert figures, flat[-3000:]
    tokens = int(figures.group(2))
    assert tokens % 2**26 == 0
    assert int(figures.group(1)) == tokens * 30 * 3 * 128 * 2 // 2**20
    assert f"{SELECTED.name}_memory_fit: false skips this check" in flat
    assert backend.file(unit_path).content_string == unit
    assert backend.service(backend_profile.service).is_running
