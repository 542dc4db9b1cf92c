"""GPU tier of the toolkit: a container sees the GPU through CDI. Skipped, with the reason, on hosts
without an NVIDIA GPU; on a GPU host run as documented in docs/testing.md (make gpu-test)."""

import os

import pytest
from tests.support.gpu_host import require_nvidia_gpu

pytestmark = pytest.mark.gpu
IMAGE = os.environ.get("LLM_ONPREM_GPU_TEST_IMAGE", "local/debian:bookworm")


def test_cdi_spec_lists_the_gpus(host):
    gpus = require_nvidia_gpu(host)
    devices = host.check_output("nvidia-ctk cdi list").splitlines()
    assert sum(
        1 for line in devices if line.startswith("nvidia.com/gpu=") and line != "nvidia.com/gpu=all"
    ) >= len(gpus)


def test_container_sees_the_gpus_through_cdi(host):
    gpus = require_nvidia_gpu(host)
    listed = host.check_output(f"docker run --rm --device nvidia.com/gpu=all {IMAGE} nvidia-smi -L")
    assert len([line for line in listed.splitlines() if line.startswith("GPU ")]) == len(gpus)
