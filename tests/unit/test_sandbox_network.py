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


@dataclass
class _Container:
    name: str
    role: str  # the value of the harness's label: host or mirror
    removed: bool = False

    @property
    def labels(self) -> dict[str, str]:
        return {sandbox.LABEL: self.role}

    def remove(self, force: bool = False) -> None:
        self.removed = force


@dataclass
class _Containers:
    items: list[_Container]

    def list(self, **_: object) -> list[_Container]:
        return [c for c in self.items if not c.removed]


@dataclass
class _DownApi:
    containers: _Containers
    networks: _Networks


def test_down_with_names_removes_only_those_hosts(monkeypatch):
    """`sandbox down --inventory X` (an e2e tier starting afresh) leaves the other inventory's hosts,
    the mirror and the network to the tier running beside it."""
    items = [
        _Container("llm-onprem-mirror", "mirror"),
        _Container("llm-onprem-backend-1", "host"),
        _Container("llm-onprem-ha-backend-1", "host"),
    ]
    api = _DownApi(_Containers(items), _Networks(["llm-onprem"]))
    monkeypatch.setattr(sandbox, "client", lambda: api)
    monkeypatch.setattr(sandbox, "sandbox_networks", lambda _: [])  # the network: tested above
    sandbox.down(["llm-onprem-ha-backend-1", "llm-onprem-mirror"])
    assert [c.name for c in items if c.removed] == ["llm-onprem-ha-backend-1"]
    sandbox.down()
    assert all(c.removed for c in items)
