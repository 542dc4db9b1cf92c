"""The HA sandbox converges to a fixed point: a second site.yml over all seven hosts changes nothing.
With the role verifiers `make e2e-ha` runs against the backends and gateways, this is what lets the
tier stand for llama_cpp's and litellm's own scenarios on the OSes those hosts run
(src/llm_onprem/hosts.py HA_E2E). Runs first in tests/ha (file order): the fault tests after it leave
the services restarted, not reconfigured."""

from __future__ import annotations

import pytest
import yaml

from llm_onprem.inventory import sandbox_hosts
from tests.conftest import ansible_playbook, recap
from tests.ha.conftest import INVENTORY

pytestmark = pytest.mark.ha


def test_second_converge_changes_nothing_on_any_host():
    result = ansible_playbook("playbooks/site.yml", inventory=INVENTORY, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:]
    summary = recap(result.stdout)
    expected = {spec.name for spec in sandbox_hosts(INVENTORY / "hosts.yml", 4000)}
    assert set(summary) == expected
    changed = {name: counts["changed"] for name, counts in summary.items() if counts["changed"]}
    assert not changed, changed
    assert all(counts["failed"] == 0 for counts in summary.values()), summary


def test_the_pairs_run_the_oses_the_inventory_names():
    """Each backend and gateway container runs its sandbox_os (the OS the coverage claim is about)."""
    from tests.ha.conftest import host

    inventory = yaml.safe_load((INVENTORY / "hosts.yml").read_text())
    for group in ("llm_backends", "llm_gateway"):
        for name, host_vars in inventory["all"]["children"][group]["hosts"].items():
            release = host(name).file("/etc/os-release").content_string
            os_key = host_vars["sandbox_os"]
            distro, version = os_key.split("-")
            assert f'VERSION_ID="{version}"' in release, (name, os_key)
            assert f"ID={distro}" in release, (name, os_key)
