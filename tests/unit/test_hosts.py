"""The supported host OSes (src/llm_onprem/hosts.py): the Molecule matrix the issue asks for, the
glibc each CPython's wheels are chosen for, and the README table generated from them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from llm_onprem import hosts
from llm_onprem.cli import main
from tests.conftest import ROOT


def test_every_role_runs_on_debian_12_and_ubuntu_24_04_and_the_core_on_all_four():
    assert set(hosts.MATRIX["debian-12"]) == set(hosts.MOLECULE_ROLES)
    assert set(hosts.MATRIX["ubuntu-24.04"]) == set(hosts.MOLECULE_ROLES)
    for key in ("ubuntu-22.04", "debian-13"):
        assert {"litellm", "llama_cpp", "ollama", "docker_engine"} <= set(hosts.MATRIX[key])
    assert hosts.E2E["llama_cpp"] == "ubuntu-24.04"
    # The gateway converges on every CPython the supported hosts have.
    gateway_pythons = {hosts.by_key(key).python for key, roles in hosts.MATRIX.items() if "litellm" in roles}
    assert gateway_pythons == {"3.10", "3.11", "3.12", "3.13"}


def test_every_role_with_a_scenario_is_in_the_matrix():
    with_scenario = {p.parent.parent.parent.name for p in ROOT.glob("roles/*/molecule/default/molecule.yml")}
    # vsphere_gpu_passthrough runs against the simulator (make vsphere), not on a host OS.
    assert with_scenario - {"vsphere_gpu_passthrough"} == set(hosts.MOLECULE_ROLES)


def test_molecule_jobs_are_longest_role_first_and_each_once():
    jobs = hosts.molecule_jobs()
    covered = sum(1 for key, roles in hosts.MATRIX.items() for role in roles if hosts.covered(role, key))
    assert len(jobs) == len(set(jobs)) == sum(len(roles) for roles in hosts.MATRIX.values()) - covered
    roles = [job.split("@")[0] for job in jobs]
    assert roles == sorted(roles, key=hosts.MOLECULE_ROLES.index)
    assert jobs[0] == "vllm@ubuntu-systemd:noble"
    # llama_cpp is converged and verified inside litellm's scenario, the e2e chain or the HA chain on
    # every OS, not a second time.
    assert not [job for job in jobs if job.startswith("llama_cpp@")]
    # The HA tier's pairs run Ubuntu 22.04 and Debian 13: no litellm scenario there.
    assert "litellm@ubuntu-systemd:jammy" not in jobs
    assert "litellm@debian-systemd:trixie" not in jobs
    # The e2e tiers converge and verify vLLM and Ollama on Debian 12 (make e2e-vllm, e2e-ollama).
    assert "vllm@debian-systemd:bookworm" not in jobs
    assert "ollama@debian-systemd:bookworm" not in jobs
    assert "ollama@ubuntu-systemd:noble" in jobs
    # The llama_cpp tier (Ubuntu 24.04) runs litellm's verifier on its gateway: no litellm scenario
    # there; on Debian 12 it still runs (and covers llama_cpp, the two on one host).
    assert "litellm@ubuntu-systemd:noble" not in jobs
    assert "litellm@debian-systemd:bookworm" in jobs
    # docker_engine is verified inside nvidia_container_toolkit's scenario where that one runs.
    assert "docker_engine@debian-systemd:bookworm" not in jobs
    assert "docker_engine@ubuntu-systemd:noble" not in jobs
    assert "docker_engine@ubuntu-systemd:jammy" in jobs


def test_each_e2e_tier_runs_its_backend_roles_molecule_verifier_on_its_backend_host():
    """What makes an e2e tier stand for the role's scenario on its OS: converge (site.yml), no change
    on the second converge, and the role's verifier against the backend host, bound to its eth0."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ne2e-%:", 1)[1].split("\n\n", 1)[0]
    assert "$(MAKE) demo LLM_BACKEND=$* && $(call ROLE_VERIFIER,llm_backends,$*) &&" in recipe
    assert "$$($(BIN)/llm-onprem hosts gateway-verifiers $*)" in recipe
    assert "$(call ROLE_VERIFIER,llm_gateway,$$role) || exit 1" in recipe
    verifier = makefile.split("ROLE_VERIFIER =", 1)[1].split("\ne2e-%:", 1)[0]
    assert "LLM_ONPREM_BIND_INTERFACE=eth0" in verifier
    assert "--hosts='ansible://$(1)'" in verifier
    assert "roles/$(2)/molecule/default/tests" in verifier
    sandbox = (ROOT / "tests/e2e/test_sandbox.py").read_text()
    assert "def test_second_converge_changes_nothing" in sandbox
    for role in hosts.E2E:
        tests = (ROOT / f"roles/{role}/molecule/default/tests/test_default.py").read_text()
        # The verifier reads the bind address instead of assuming loopback.
        assert "bind_address(host)" in tests
        assert "127.0.0.1" not in tests


def test_the_gateway_verifier_of_an_e2e_tier_covers_the_gateway_role_on_that_tier_os_only():
    assert hosts.gateway_verifiers("llama_cpp") == ["litellm"]
    assert hosts.gateway_verifiers("ollama") == []
    assert hosts.covered("litellm", "ubuntu-24.04") == "the e2e chain"
    assert hosts.covered("litellm", "debian-12") is None
    # Where the covering scenario does not run, the covered role is not said to be in it.
    assert hosts.covered("llama_cpp", "ubuntu-24.04") == "the e2e chain"
    assert hosts.covered("llama_cpp", "debian-12") == "litellm's scenario"
    # The gateway's verifier reads the backend's address and key from the gateway, not the backend.
    tests = (ROOT / "roles/litellm/molecule/default/tests/test_default.py").read_text()
    assert "/etc/llama-server" not in tests
    assert "127.0.0.1:8080" not in tests


def test_a_covered_role_is_verified_in_the_covering_scenario():
    for role, covering in hosts.COVERED_BY.items():
        scenario = yaml.safe_load((ROOT / f"roles/{covering}/molecule/default/molecule.yml").read_text())
        extra = scenario["verifier"]["additional_files_or_dirs"]
        tests = ROOT / f"roles/{covering}/molecule/default/tests"
        assert [(tests / path).resolve() for path in extra] == sorted(
            (ROOT / f"roles/{role}/molecule/default/tests").glob("test_*.py")
        )
        converge = (ROOT / f"roles/{covering}/molecule/default/converge.yml").read_text()
        # The role itself, or its own scenario's converge imported.
        assert (
            f"- role: {role}" in converge
            or f"import_playbook: ../../../{role}/molecule/default/converge.yml" in converge
        ), covering


def test_wheels_of_a_python_run_on_every_host_that_has_it():
    assert hosts.glibc_for_python("3.10") == 35  # Ubuntu 22.04
    assert hosts.glibc_for_python("3.12") == 39
    assert hosts.glibc_for_python("3.9") == 28  # no supported host: the manylinux_2_28 floor


def test_each_host_os_has_an_image_recipe():
    script = (ROOT / "scripts/sandbox-images.sh").read_text()
    for host in hosts.HOSTS:
        assert re.search(rf"^    {host.suite}\) echo \"{host.distro} ", script, re.M), host.suite


def test_the_readme_table_is_generated_from_the_matrix(capsys):
    readme = (ROOT / "README.md").read_text()
    assert hosts.supported_hosts_table(ROOT) in readme
    table = hosts.supported_hosts_table(ROOT)
    assert "| `vllm` | converged (in the e2e chain) | converged | refused (no CPython 3.10 lock) |" in table
    assert "| `llama_cpp` | converged (in litellm's scenario) |" in table
    assert (
        "| `nvidia_driver` | converged | converged | unit-tested only | unit-tested only | unit-tested only |"
        in table
    )
    assert main(["hosts", "e2e", "llama_cpp"]) == 0
    assert capsys.readouterr().out.strip() == "ubuntu-24.04"


def test_the_ha_tier_covers_what_its_inventory_runs_and_runs_those_verifiers():
    """HA_E2E names, per OS, the roles the HA tier converges there: exactly the llm_backends (llama_cpp)
    and llm_gateway (litellm) hosts of inventories/sandbox-ha by their sandbox_os; and `make e2e-ha`
    runs both roles' verifiers against those groups of that inventory, and a second converge."""
    inventory = yaml.safe_load((ROOT / "inventories/sandbox-ha/hosts.yml").read_text())["all"]["children"]
    ran: dict[str, set[str]] = {}
    for group, role in (("llm_backends", "llama_cpp"), ("llm_gateway", "litellm")):
        for host_vars in inventory[group]["hosts"].values():
            if group == "llm_backends":
                assert host_vars["llm_backend"] == role
            ran.setdefault(host_vars["sandbox_os"], set()).add(role)
    assert ran == {key: set(roles) for key, roles in hosts.HA_E2E.items()}
    for key, roles in hosts.HA_E2E.items():
        assert set(roles) <= set(hosts.MATRIX[key])
        for role in roles:
            assert hosts.covered(role, key) == "the HA e2e chain"
    makefile = (ROOT / "Makefile").read_text()
    assert f"HA_INVENTORY := {hosts.HA_INVENTORY}\n" in makefile
    recipe = makefile.split("\ne2e-ha-deploy: venv", 1)[1].split("\n\n", 1)[0]
    assert "$(call ROLE_VERIFIER,llm_backends,llama_cpp)" in recipe
    assert "$(call ROLE_VERIFIER,llm_gateway,litellm)" in recipe
    assert "$(HA_TESTS_DEPLOY)" in recipe
    assert "e2e-ha-deploy: INVENTORY := $(HA_INVENTORY)" in makefile
    assert (
        "def test_second_converge_changes_nothing_on_any_host"
        in (ROOT / "tests/ha/test_converge.py").read_text()
    )
    # make test runs e2e-all, whose HA stream runs e2e-ha (deployment, then the tests under load)
    # beside the small sandbox's tiers.
    assert "$(call phase,e2e-all)" in makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    streams = makefile.split("\ne2e-all: venv", 1)[1].split("\n\n", 1)[0]
    assert "e2e-stream-small e2e-stream-ha\n" in streams
    assert "$(MAKE) --no-print-directory -j1 e2e-ha 2>&1" in streams
    e2e_ha = makefile.split("\ne2e-ha: venv", 1)[1].split("\ne2e-ha-deploy:", 1)[0]
    assert e2e_ha.endswith("e2e-ha-deploy\n\t$(MAKE) --no-print-directory e2e-ha-load")
    assert "$(MAKE) --no-print-directory -j1 e2e 2>&1" in streams


def test_the_ha_tests_split_into_deployment_and_load_and_every_ha_test_runs():
    """tests/ha splits into the deployment's (the second converge, shared state) and the rest, run
    after them: the faults, the soak, the VIP, the rolling upgrade (and any new file, by default)."""
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "show"],
        input="show:\n\t@echo $(HA_TESTS_DEPLOY) '|' $(HA_TESTS_LOAD)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("|")
    deploy, load = ({Path(f).name for f in part.split()} for part in out)
    assert deploy == {"test_converge.py", "test_shared_state.py", "test_monitoring.py"}
    assert {"test_failover.py", "test_soak.py", "test_vip.py", "test_upgrade.py"} <= load
    assert deploy | load == {p.name for p in (ROOT / "tests/ha").glob("test_*.py")}
    assert not deploy & load
