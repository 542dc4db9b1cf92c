"""Which wheels a hash-pinned lock needs for one target CPython, and the pip arguments that fetch them.

A lock (roles/litellm/files/requirements.txt, roles/vllm/files/*.txt) is resolved for several CPython
minor versions at once (`uv pip compile --universal`): a pin may carry an environment marker such as
``; python_full_version < '3.11'``. ``pip download --python-version X`` fetches wheels for X but
evaluates markers against the interpreter running pip, so `mirror stage` first keeps, for each target
Python, the pins whose marker can hold on it (any patch release of that minor), markers dropped,
hashes kept.

The lock's header names the CPython versions it was resolved (and is staged) for, one line::

    # python-versions: 3.10 3.11 3.12 3.13

The role entry check (roles/llm_service, filter ``llm_lock_pythons``) reads the same line.
"""

from __future__ import annotations

import re

from packaging.markers import Marker

PYTHONS_LINE = re.compile(r"^# python-versions:((?:[ \t]+3\.[0-9]+)+)[ \t]*$", re.MULTILINE)


def lock_pythons(text: str) -> list[str]:
    """The CPython versions the lock's header declares ([] when it declares none)."""
    match = PYTHONS_LINE.search(text)
    return match.group(1).split() if match else []


def entries(text: str) -> list[str]:
    """The lock's requirement entries, each one logical line (continuations joined), comments dropped."""
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line and not current:
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        current += line.strip()
        if current.strip():
            out.append(current.strip())
        current = ""
    if current.strip():
        out.append(current.strip())
    return out


def _environment(python: str, patch: int, machine: str) -> dict[str, str]:
    return {
        "python_version": python,
        "python_full_version": f"{python}.{patch}",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "platform_machine": machine,
    }


def applies(entry: str, python: str, machine: str = "x86_64") -> bool:
    """Whether a pin's marker can hold on some patch release of CPython `python` on Linux/`machine`."""
    requirement = entry.split(" --hash=", 1)[0]
    if ";" not in requirement:
        return True
    marker = Marker(requirement.split(";", 1)[1].strip())
    return any(marker.evaluate(_environment(python, patch, machine)) for patch in (0, 99))


def for_python(text: str, python: str, machine: str = "x86_64") -> str:
    """The lock's pins that apply to `python`, markers removed, hashes kept (a requirements file)."""
    lines = []
    for entry in entries(text):
        if not applies(entry, python, machine):
            continue
        requirement, _, hashes = entry.partition(" --hash=")
        pin = requirement.split(";", 1)[0].strip()
        lines.append(pin + (" --hash=" + hashes if hashes else ""))
    return "\n".join(lines) + "\n"


def pip_download_args(python: str, glibc_minor: int) -> list[str]:
    """`pip download` arguments for wheels that run on CPython `python`, x86_64, glibc 2.<glibc_minor>."""
    abi = "cp" + python.replace(".", "")
    platforms = (
        *(f"manylinux_2_{minor}_x86_64" for minor in range(glibc_minor, 4, -1)),
        "manylinux2014_x86_64",
        "manylinux2010_x86_64",
        "manylinux1_x86_64",
        "linux_x86_64",
        "any",
    )
    return [
        "--only-binary=:all:",
        "--no-deps",
        "--python-version",
        python,
        "--implementation",
        "cp",
        *[arg for tag in (abi, "abi3", "none") for arg in ("--abi", tag)],
        *[arg for tag in platforms for arg in ("--platform", tag)],
    ]
