"""The gpu-cluster example in the production shape of docs/high-availability.md, applied against
vcsim-gpu: two gateways spread over two ESXi hosts, the state VM (PostgreSQL + Redis), the
load-balancer VM and the monitoring VM, and the inventory that converges them (groups, and the
gateways pointed at the state VM); the inputs that would build a shape with a single point of
failure are refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.vsphere import collect, govc, tfvars_file, tofu, tofu_ok

BIN = Path(sys.executable).parent
HA = {
    "name_prefix": "ha",
    "gateway_count": 2,
    "gateway_hosts": ["DC0_C0_H0", "DC0_C0_H1"],
    "state_vm": True,
    "state_host": "DC0_C0_H1",
    "ingress_vm": True,
    "ingress_host": "DC0_C0_H0",
    "monitoring_vm": True,
    "monitoring_host": "DC0_C0_H1",
    "gpu_hosts": ["DC0_C0_H0", "DC0_C0_H1"],
    "llm_backend": "llama_cpp",
}


@pytest.fixture(scope="module")
def ha_cluster(simulator, terraform_tree, tmp_path_factory) -> Iterator[dict[str, Any]]:
    workdir = terraform_tree / "examples/gpu-cluster"
    inventory = tmp_path_factory.mktemp("ha-inventory") / "hosts.yml"
    tfvars = tfvars_file(simulator, tmp_path_factory.mktemp("ha-vars") / "ha.tfvars.json", inventory, **HA)
    tofu_ok(workdir, "init")
    tofu_ok(workdir, "apply", "-auto-approve", f"-var-file={tfvars}", "-state=ha.tfstate")
    outputs = json.loads(tofu_ok(workdir, "output", "-json", "-state=ha.tfstate"))
    yield {"workdir": workdir, "tfvars": tfvars, "inventory": inventory, "outputs": outputs}
    tofu_ok(workdir, "destroy", "-auto-approve", f"-var-file={tfvars}", "-state=ha.tfstate")
    remaining = govc(simulator, "find", "/DC0/vm", "-type", "m", "-name", "ha-*")
    assert remaining.strip() == "", f"VMs left after destroy: {remaining}"


def _on(simulator, vm: str, esxi: str) -> bool:
    ref = collect(simulator, f"/DC0/vm/{vm}", "runtime.host")["runtime.host"]
    wanted = govc(simulator, "find", "-i", "/DC0/host/DC0_C0", "-type", "h", "-name", esxi).strip()
    return f"{ref['type']}:{ref['value']}" == wanted


def test_the_gateways_are_spread_and_the_state_and_load_balancer_vms_exist(simulator, ha_cluster):
    assert _on(simulator, "ha-gw-1", "DC0_C0_H0")
    assert _on(simulator, "ha-gw-2", "DC0_C0_H1")
    assert _on(simulator, "ha-state", "DC0_C0_H1")
    assert _on(simulator, "ha-lb", "DC0_C0_H0")
    assert _on(simulator, "ha-mon", "DC0_C0_H1")
    outputs = {name: value["value"] for name, value in ha_cluster["outputs"].items()}
    assert sorted(outputs["gateways"]) == ["ha-gw-1", "ha-gw-2"]
    assert outputs["state"]["name"] == "ha-state"
    assert outputs["monitoring"]["name"] == "ha-mon"


def _inventory(path: Path) -> dict[str, Any]:
    command = [str(BIN / "ansible-inventory"), "-i", str(path), "--list"]
    listed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(listed.stdout)


def _rendered(path: Path, host: str, expression: str) -> str:
    """A variable of `host` as Ansible renders it (debug runs on the controller, no connection)."""
    command = [str(BIN / "ansible"), host, "-i", str(path), "-m", "ansible.builtin.debug"]
    result = subprocess.run([*command, "-a", f"msg={expression}"], capture_output=True, text=True, check=True)
    # The repository's ansible.cfg prints results as YAML (the callback); JSON is YAML too.
    return yaml.safe_load(textwrap.dedent(result.stdout.split(" => ", 1)[1]))["msg"]


def test_the_inventory_has_the_production_groups_and_points_the_gateways_at_the_state_vm(ha_cluster):
    path = ha_cluster["inventory"]
    inventory = _inventory(path)
    assert sorted(inventory["llm_gateway"]["hosts"]) == ["ha-gw-1", "ha-gw-2"]
    assert inventory["llm_state"]["hosts"] == ["ha-state"]
    assert inventory["llm_redis"]["hosts"] == ["ha-state"]
    assert inventory["llm_ingress"]["hosts"] == ["ha-lb"]
    assert inventory["llm_monitoring"]["hosts"] == ["ha-mon"]
    assert sorted(inventory["llm_backends"]["hosts"]) == ["ha-gpu-1", "ha-gpu-2"]
    hostvars = inventory["_meta"]["hostvars"]
    state_address = hostvars["ha-state"]["ansible_host"]
    assert ha_cluster["outputs"]["endpoint"]["value"] == hostvars["ha-lb"]["ansible_host"]
    for gateway in ("ha-gw-1", "ha-gw-2"):
        assert _rendered(path, gateway, "{{ litellm_redis_host }}") == state_address
        url = _rendered(path, gateway, "{{ litellm_database_url }}")
        where = f"@{re.escape(state_address)}:5432/litellm"
        assert re.fullmatch(rf"postgresql://litellm:[A-Za-z0-9]{{40}}{where}\?sslmode=require", url), url


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ingress_vm": False}, "gateway_count > 1 needs ingress_vm = true"),
        ({"state_vm": False}, "gateway_count > 1 needs state_vm = true"),
        ({"database_on_gateway": True}, "database_on_gateway and state_vm both place PostgreSQL"),
        ({"gateway_hosts": ["DC0_C0_H0", "DC0_C0_H0"]}, "gateway_hosts must name each host once"),
    ],
    ids=["no-load-balancer", "no-state-vm", "two-databases", "same-host-twice"],
)
def test_a_shape_with_a_single_point_of_failure_is_refused(
    simulator, terraform_tree, tmp_path, change, message
):
    workdir = terraform_tree / "examples/gpu-cluster"
    tofu_ok(workdir, "init")
    tfvars = tfvars_file(simulator, tmp_path / "bad.tfvars.json", tmp_path / "hosts.yml", **{**HA, **change})
    result = tofu(workdir, "plan", f"-var-file={tfvars}", "-state=bad.tfstate")
    assert result.returncode != 0, result.stdout
    assert message in " ".join(re.sub(r"[│╷╵]", " ", result.stderr + result.stdout).split())
