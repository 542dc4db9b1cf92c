"""Every service unit (CPU and GPU variants) scores <= 2.5 with `systemd-analyze security --offline`:
the llm_service template rendered with each role's own hardening exceptions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import ansible_playbook
from tests.support.backends import deployable
from tests.support.units import MAX_EXPOSURE

ROLES = [*deployable(), "litellm"]
# What turns each role's GPU exceptions on (a role without an entry renders the same unit twice).
GPU_SWITCH = {
    "llama_cpp": {"llama_cpp_gpu_layers": 99},
    "ollama": {"__ollama_nvidiactl": {"stat": {"exists": True}}},
    "vllm": {"vllm_distribution": "vllm"},
}
UNITS = [f"{role}-{variant}" for role in ROLES for variant in ("cpu", "gpu")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("units")

    def render(unit: str):
        role, variant = unit.rsplit("-", 1)
        switches = GPU_SWITCH.get(role, {}) if variant == "gpu" else {}
        return ansible_playbook(
            "tests/playbooks/render_units.yml",
            *("-e", f"render_dir={out}", "-e", f"role={role}", "-e", f"variant={variant}"),
            *(("-e", json.dumps(switches)) if switches else ()),
            inventory="localhost,",
            local=True,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        for result in pool.map(render, UNITS):
            assert result.returncode == 0, result.stdout[-3000:]
    return out


def exposure(unit_file) -> float:
    output = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit_file)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", output)
    assert match, output[-2000:]
    return float(match.group(1))


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze (systemd >= 250) not installed"
)
@pytest.mark.parametrize("unit", UNITS)
def test_unit_exposure_is_at_most_2_5(rendered, unit):
    path = rendered / f"{unit}.service"
    assert exposure(path) <= MAX_EXPOSURE, path.read_text()


def test_gpu_units_open_only_the_nvidia_devices(rendered):
    for role in GPU_SWITCH:
        gpu = (rendered / f"{role}-gpu.service").read_text()
        cpu = (rendered / f"{role}-cpu.service").read_text()
        assert "DeviceAllow=char-nvidia-frontend rw" in gpu, role
        assert "PrivateDevices=no" in gpu, role
        assert "DeviceAllow" not in cpu, role
        assert "PrivateDevices=yes" in cpu, role
        assert "DevicePolicy=closed" in gpu, role
        assert "DevicePolicy=closed" in cpu, role


def test_exceptions_are_only_where_declared(rendered):
    litellm = (rendered / "litellm-cpu.service").read_text()
    assert "MemoryDenyWriteExecute=yes" in litellm
    assert "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n" in litellm
    assert "MemoryDenyWriteExecute=no" in (rendered / "vllm-cpu.service").read_text()
    assert "AF_NETLINK" in (rendered / "ollama-cpu.service").read_text()


def test_units_carry_start_limits_open_files_and_no_memory_cap_by_default(rendered, tmp_path):
    for unit in UNITS:
        text = (rendered / f"{unit}.service").read_text()
        assert "StartLimitIntervalSec=600" in text.split("[Service]")[0]
        assert "StartLimitBurst=5" in text.split("[Service]")[0]
        assert "RestartSec=3" in text
        assert "LimitNOFILE=65536" in text
        assert "MemoryMax" not in text
    capped = ansible_playbook(
        "tests/playbooks/render_units.yml",
        *("-e", f"render_dir={tmp_path}", "-e", "role=litellm", "-e", "variant=capped"),
        *("-e", "litellm_memory_max=2G", "-e", "litellm_limit_nofile=8192"),
        inventory="localhost,",
        local=True,
    )
    assert capped.returncode == 0, capped.stdout[-2000:]
    text = (tmp_path / "litellm-capped.service").read_text()
    assert "MemoryMax=2G" in text
    assert "LimitNOFILE=8192" in text
