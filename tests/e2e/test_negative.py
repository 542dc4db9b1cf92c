"""Failures users must get early and clearly, run against the sandbox backend host."""

from __future__ import annotations

import pytest

from tests.conftest import ansible_playbook

pytestmark = pytest.mark.e2e

GOOD = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
WRONG = "0" * 64


def test_gguf_with_wrong_sha256_fails_and_leaves_nothing(backend):
    dest = "/var/lib/llama-server/models/wrong-checksum.gguf"
    result = ansible_playbook(
        "tests/playbooks/fetch.yml",
        "--limit",
        "llm-onprem-backend-1",
        "-e",
        f"fetch_dest={dest}",
        "-e",
        f"fetch_sha256={WRONG}",
        "-e",
        "fetch_url=http://llm-onprem-mirror:8088/models/SmolLM2-135M-Instruct.Q4_1.gguf",
    )
    assert result.returncode != 0
    assert dest in result.stdout
    assert WRONG in result.stdout, "the message names the expected hash"
    assert GOOD in result.stdout, "the message names the actual hash"
    assert not backend.file(dest).exists
    assert backend.service("llama-server").is_running, "the running service is untouched"


def test_non_numeric_port_fails_at_role_entry(backend):
    result = ansible_playbook(
        "playbooks/site.yml", "--limit", "llm-onprem-backend-1", "-e", "llama_cpp_port=eighty"
    )
    assert result.returncode != 0
    assert "llama_cpp_port" in result.stdout
    assert "Validating arguments against arg spec" in result.stdout
    assert backend.service("llama-server").is_running
