"""The gateway's default worker count (roles/litellm/filter_plugins/litellm_workers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_file_module

ROOT = Path(__file__).resolve().parents[2]
workers = load_file_module("roles/litellm/filter_plugins/litellm_workers.py")
GIB = 1024


@pytest.mark.parametrize("vcpus", [1, 2, 8, "16"])
def test_a_gateway_alone_on_its_host_runs_one_worker_per_core(vcpus):
    assert workers.litellm_workers(vcpus, 64 * GIB, False, False, False) == int(vcpus)
    assert workers.litellm_workers(vcpus, 64 * GIB, False, True, True) == int(vcpus)


def test_memory_caps_the_count_at_one_gib_per_worker_after_the_first():
    assert workers.litellm_workers(16, 8 * GIB, False, False, False) == 7
    assert workers.litellm_workers(16, "4096", False, False, False) == 3
    assert workers.litellm_workers(16, 1536, False, False, False) == 1


def test_a_host_that_also_serves_a_backend_runs_one():
    assert workers.litellm_workers(8, 64 * GIB, True, False, False) == 1
    assert workers.litellm_workers(8, 64 * GIB, True, True, True) == 1


def test_db_mode_without_redis_runs_one_so_that_rate_limits_hold():
    assert workers.litellm_workers(8, 64 * GIB, False, True, False) == 1


@pytest.mark.parametrize(
    ("vcpus", "memory"),
    [(None, 64 * GIB), ("", 64 * GIB), ("many", 64 * GIB), (0, 64 * GIB), (-2, 64 * GIB), (8, None), (8, 0)],
)
def test_unknown_or_nonsense_facts_give_one(vcpus, memory):
    assert workers.litellm_workers(vcpus, memory, False, False, False) == 1


def test_the_role_default_uses_the_filter_with_the_hosts_facts():
    text = (ROOT / "roles/litellm/defaults/main.yml").read_text()
    default = text.split("litellm_num_workers:", 1)[1].split("\n#", 1)[0]
    for part in (
        "processor_vcpus",
        "memtotal_mb",
        "litellm_workers(",
        "litellm_backends_group",
        "litellm_redis_host",
    ):
        assert part in default
