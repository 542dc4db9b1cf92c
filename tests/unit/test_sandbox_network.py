"""The sandbox's own Docker network is found by its exact name, not by Docker's substring filter."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from llm_onprem import inventory, sandbox


@dataclass
class _Net:
    name: str


@dataclass
class _Networks:
    """Docker's `name` filter semantics: every network whose name contains the filter string."""

    names: list[str]
    created: list[str] = field(default_factory=list)

    def list(self, names: list[str]) -> list[_Net]:
        return [_Net(n) for n in self.names if any(f in n for f in names)]

    def create(self, name: str, **_: object) -> None:
        self.created.append(name)
        self.names.append(name)


@dataclass
class _Api:
    networks: _Networks


def test_a_dev_stack_network_is_not_taken_for_the_sandbox_network():
    api = _Api(_Networks(["bridge", "llm-onprem-dev_default", "llm-onprem-compose-test_default"]))
    assert sandbox.sandbox_networks(api) == []  # type: ignore[arg-type]
    sandbox.ensure_network(api)  # type: ignore[arg-type]
    assert api.networks.created == ["llm-onprem"]


def test_an_existing_sandbox_network_is_reused():
    api = _Api(_Networks(["llm-onprem-dev_default", "llm-onprem"]))
    sandbox.ensure_network(api)  # type: ignore[arg-type]
    assert api.networks.created == []
    assert [n.name for n in sandbox.sandbox_networks(api)] == ["llm-onprem"]  # type: ignore[arg-type]


def test_a_host_from_an_older_checkout_is_recreated_for_what_changed():
    gateway = sandbox.HostSpec("gw", publish={"443/tcp": ("127.0.0.1", 4000)})
    current = {
        "Config": {"Image": sandbox.SYSTEMD_IMAGE},
        "HostConfig": {
            "CapAdd": ["NET_ADMIN"],
            "PortBindings": {"443/tcp": [{"HostIp": "127.0.0.1", "HostPort": "4000"}]},
        },
    }
    assert sandbox.outdated(current, gateway) == ""
    before_tls = {
        "Config": {"Image": sandbox.SYSTEMD_IMAGE},
        "HostConfig": {
            "CapAdd": ["NET_ADMIN"],
            "PortBindings": {"4000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "4000"}]},
        },
    }
    assert "publishes {'4000/tcp'" in sandbox.outdated(before_tls, gateway)
    before_firewall = {
        **current,
        "HostConfig": {"CapAdd": None, "PortBindings": current["HostConfig"]["PortBindings"]},
    }
    assert sandbox.outdated(before_firewall, gateway) == "it lacks NET_ADMIN"
    backend = sandbox.HostSpec("be")
    plain = {
        "Config": {"Image": sandbox.SYSTEMD_IMAGE},
        "HostConfig": {"CapAdd": ["NET_ADMIN"], "PortBindings": None},
    }
    assert sandbox.outdated(plain, backend) == ""
    # Another host OS asked for (make e2e-llama_cpp runs Ubuntu 24.04 after a Debian 12 sandbox).
    noble = sandbox.HostSpec("be", image="local/ubuntu-systemd:noble")
    assert (
        sandbox.outdated(plain, noble) == f"it runs {sandbox.SYSTEMD_IMAGE}, not local/ubuntu-systemd:noble"
    )


def test_sandbox_hosts_run_the_image_asked_for(tmp_path):
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text("all:\n  hosts:\n    gw: {sandbox_publish_port: 443}\n    be: {}\n")
    specs = inventory.sandbox_hosts(hosts_file, 4000, "local/ubuntu-systemd:jammy")
    assert {s.name: s.image for s in specs} == {
        "be": "local/ubuntu-systemd:jammy",
        "gw": "local/ubuntu-systemd:jammy",
    }
    assert inventory.sandbox_hosts(hosts_file, 4000)[0].image == "local/debian-systemd:bookworm"


def test_a_host_runs_the_os_its_sandbox_os_names(tmp_path):
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text("all:\n  hosts:\n    gw: {sandbox_os: debian-13}\n    be: {}\n")
    specs = {s.name: s.image for s in inventory.sandbox_hosts(hosts_file, 4000, "local/ubuntu-systemd:noble")}
    assert specs == {"be": "local/ubuntu-systemd:noble", "gw": "local/debian-systemd:trixie"}


def test_an_unknown_sandbox_os_names_the_host_and_the_variable(tmp_path):
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text("all:\n  hosts:\n    gw: {sandbox_os: windows-95}\n")
    with pytest.raises(SystemExit, match=r"gw: sandbox_os: unknown host OS 'windows-95'"):
        inventory.sandbox_hosts(hosts_file, 4000)
