"""The 64-bit MMIO sizing rule of vsphere_gpu_passthrough (pyvmomi side); the Terraform module
implements the same rule, and tests/vsphere checks its result on applied VMs (1 x 80 GB -> 256)."""

import pytest

from tests.conftest import load_file_module


def _rule():
    return load_file_module("roles/vsphere_gpu_passthrough/module_utils/vsphere_gpu.py").mmio_size_gb


@pytest.mark.parametrize(
    ("gpus", "memory_gb", "expected"),
    [(1, 80, 256), (2, 80, 512), (2, 24, 128), (1, 16, 32), (4, 48, 512), (8, 80, 2048)],
)
def test_total_memory_rounded_up_to_a_power_of_two_then_doubled(gpus, memory_gb, expected):
    assert _rule()(gpus, memory_gb) == expected
