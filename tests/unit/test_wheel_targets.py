"""Per-CPython wheel selection from a universal lock (mirror stage) and the lock's python-versions line,
read the same way by the mirror and by the role entry check."""

from __future__ import annotations

import importlib.util

import pytest

from llm_onprem import hosts, wheel_targets
from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location(
    "llm_lock_pythons", ROOT / "roles/llm_service/filter_plugins/llm_lock_pythons.py"
)
_filter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filter)

LOCK = """# a lock
# python-versions: 3.10 3.11 3.12
anyio==4.16.0 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via httpx
tomli==2.5.0 ; python_full_version < '3.11' \\
    --hash=sha256:cccc
async-timeout==5.0.1 ; python_full_version < '3.11.3' \\
    --hash=sha256:dddd
six==1.17.0 ; python_full_version >= '3.12' \\
    --hash=sha256:eeee
pywin32==312 ; sys_platform == 'win32' \\
    --hash=sha256:ffff
intel-cmplr-lib-ur==2024.2.1 ; platform_machine == 'x86_64' \\
    --hash=sha256:9999
"""


def _names(requirements: str) -> list[str]:
    return [line.split("==")[0] for line in requirements.splitlines()]


def test_the_pythons_line_is_read_alike_by_the_mirror_and_the_role_filter():
    assert wheel_targets.lock_pythons(LOCK) == ["3.10", "3.11", "3.12"]
    assert _filter.llm_lock_pythons(LOCK) == ["3.10", "3.11", "3.12"]
    for text in ("", "# python-versions:\n", "# python-versions: three\n"):
        assert wheel_targets.lock_pythons(text) == [] == _filter.llm_lock_pythons(text)


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        ("3.10", ["anyio", "tomli", "async-timeout", "intel-cmplr-lib-ur"]),
        # 3.11.0-3.11.2 (Debian 12 has 3.11.2) still need async-timeout: any patch release counts.
        ("3.11", ["anyio", "async-timeout", "intel-cmplr-lib-ur"]),
        ("3.12", ["anyio", "six", "intel-cmplr-lib-ur"]),
    ],
)
def test_pins_are_kept_per_python_by_their_markers(python, expected):
    assert _names(wheel_targets.for_python(LOCK, python)) == expected


def test_markers_are_dropped_and_every_hash_kept():
    subset = wheel_targets.for_python(LOCK, "3.10").splitlines()
    assert subset[0] == "anyio==4.16.0 --hash=sha256:aaaa --hash=sha256:bbbb"
    assert subset[1] == "tomli==2.5.0 --hash=sha256:cccc"
    assert not any(";" in line for line in subset)


def test_the_shipped_locks_name_their_pythons_and_every_pin_is_hashed():
    for role, locks in hosts.ROLE_LOCKS.items():
        for lock in locks:
            text = (ROOT / lock).read_text()
            assert wheel_targets.lock_pythons(text), lock
            for python in wheel_targets.lock_pythons(text):
                for line in wheel_targets.for_python(text, python).splitlines():
                    assert " --hash=sha256:" in line, (role, lock, line)
    # The gateway runs on every supported host: its lock names every supported CPython.
    assert wheel_targets.lock_pythons((ROOT / hosts.ROLE_LOCKS["litellm"][0]).read_text()) == hosts.pythons()


def test_pip_arguments_target_the_python_and_glibc():
    args = wheel_targets.pip_download_args("3.12", 39)
    assert args[args.index("--python-version") + 1] == "3.12"
    abis = [args[i + 1] for i, a in enumerate(args) if a == "--abi"]
    assert abis == ["cp312", "abi3", "none"]
    platforms = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert platforms[0] == "manylinux_2_39_x86_64"
    assert "manylinux_2_40_x86_64" not in platforms
    assert platforms[-1] == "any"
