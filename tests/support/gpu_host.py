"""GPU-tier helpers for testinfra: find the NVIDIA GPUs of a host, or skip with the reason."""

from __future__ import annotations

import os

import pytest

NVIDIA_VENDOR = "0x10de"


def nvidia_gpus(host) -> list[str]:
    """PCI addresses of the host's NVIDIA display-class functions (vendor 0x10de, class 0x03xxxx)."""
    script = (
        "for d in /sys/bus/pci/devices/*; do "
        'if [ "$(cat $d/vendor)" = 0x10de ]; then case "$(cat $d/class)" in 0x03*) basename $d;; esac; fi; '
        "done"
    )
    return host.check_output(f"sh -c '{script}'").split()


def require_nvidia_gpu(host) -> list[str]:
    """The host's NVIDIA GPUs; skips the test, saying why, on a host without one."""
    gpus = nvidia_gpus(host)
    if not gpus:
        pytest.skip(
            f"no NVIDIA GPU on {host.backend.get_hostname()} (no PCI display function with vendor "
            f"{NVIDIA_VENDOR}): GPU checks run on GPU hosts only (make gpu-test, docs/testing.md)"
        )
    return gpus


def expected_gpu_count(default: int) -> int:
    """LLM_ONPREM_EXPECTED_GPUS when set (the count the operator says the host has), else ``default``."""
    value = os.environ.get("LLM_ONPREM_EXPECTED_GPUS", "")
    return int(value) if value else default
