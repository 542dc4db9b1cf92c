"""docker_engine role: package, merged daemon.json (keys set by others kept), a daemon that answers."""

import json

EXPECTED_DAEMON_JSON = {
    # Seeded by prepare.yml (someone else's keys): kept.
    "iptables": False,
    "ip6tables": False,
    "bridge": "none",
    "registry-mirrors": ["https://registry.example.internal"],
    # Merged: max-file replaced by the role's value, labels kept, max-size added.
    "log-opts": {"max-file": "3", "labels": "team", "max-size": "10m"},
    # Added by the role.
    "live-restore": True,
}


def test_engine_package_installed(host):
    assert host.package("docker.io").is_installed


def test_daemon_json_merged_not_overwritten(host):
    daemon = host.file("/etc/docker/daemon.json")
    assert daemon.mode == 0o644
    assert json.loads(daemon.content_string) == EXPECTED_DAEMON_JSON


def test_service_enabled_and_running(host):
    service = host.service("docker")
    assert service.is_enabled
    assert service.is_running


def test_daemon_applies_the_merged_config(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["LiveRestoreEnabled"] is True
    assert info["RegistryConfig"]["Mirrors"] == ["https://registry.example.internal/"]
