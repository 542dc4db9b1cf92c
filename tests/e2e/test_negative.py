"""Failures users must get early and clearly, through the real play against the sandbox backend."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ansible_playbook

pytestmark = pytest.mark.e2e

GOOD = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
WRONG = "0" * 64
MODELS = "/var/lib/llama-server/models"


def test_gguf_with_wrong_sha256_fails_and_leaves_nothing(backend):
    before = backend.check_output("ls -A %s", MODELS)
    catalog = {
        "llm_models": [
            {
                "name": "smollm2-135m-instruct",
                "backend": "llama_cpp",
                "gguf": {
                    "url": "{{ llm_mirror_url }}/models/SmolLM2-135M-Instruct.Q4_1.gguf",
                    "sha256": WRONG,
                    "file": "wrong-checksum.gguf",
                },
            }
        ]
    }
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", "llm-onprem-backend-1", "-e", json.dumps(catalog)
    )
    assert result.returncode != 0
    assert f"{MODELS}/wrong-checksum.gguf" in result.stdout, "the message names the file"
    assert WRONG in result.stdout, "the message names the expected hash"
    assert GOOD in result.stdout, "the message names the actual hash"
    assert backend.check_output("ls -A %s", MODELS) == before, "no partial or new file"
    assert backend.service("llama-server").is_running, "the running service is untouched"


def test_non_numeric_port_fails_at_role_entry(backend):
    unit = backend.file("/etc/systemd/system/llama-server.service").content_string
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", "llm-onprem-backend-1", "-e", "llama_cpp_port=eighty"
    )
    assert result.returncode != 0
    assert "llama_cpp_port" in result.stdout
    assert "Validating arguments against arg spec" in result.stdout
    assert backend.file("/etc/systemd/system/llama-server.service").content_string == unit
    assert backend.service("llama-server").is_running
