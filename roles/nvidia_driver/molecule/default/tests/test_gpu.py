"""GPU tier of the driver: nvidia-smi lists the expected GPUs with the installed driver, nvidia_uvm is
loaded. Skipped, with the reason, on hosts without an NVIDIA GPU; on a GPU host run as documented in
docs/testing.md (make gpu-test)."""

import pytest
from tests.support.gpu_host import expected_gpu_count, require_nvidia_gpu

pytestmark = pytest.mark.gpu


def test_nvidia_smi_lists_the_expected_gpus(host):
    gpus = require_nvidia_gpu(host)
    listed = [line for line in host.check_output("nvidia-smi -L").splitlines() if line.startswith("GPU ")]
    assert len(listed) == expected_gpu_count(len(gpus))


def test_loaded_module_is_the_installed_driver(host):
    require_nvidia_gpu(host)
    loaded = host.file("/sys/module/nvidia/version").content_string.strip()
    reported = host.check_output("nvidia-smi --query-gpu=driver_version --format=csv,noheader").splitlines()
    assert reported
    assert all(version.strip() == loaded for version in reported)


def test_uvm_loaded_for_cuda(host):
    require_nvidia_gpu(host)
    assert host.file("/sys/module/nvidia_uvm").is_directory
    assert host.file("/dev/nvidia-uvm").exists
