"""docker_engine role: package, merged daemon.json (keys set by others kept), a daemon that answers.

Also run in nvidia_container_toolkit's scenario, whose prepare and converge are this scenario's plus
the toolkit (which adds its runtime beside the seeded one)."""

import json

EXPECTED_DAEMON_JSON = {
    # Seeded by prepare.yml (someone else's keys): kept.
    "iptables": False,
    "ip6tables": False,
    "bridge": "none",
    "registry-mirrors": ["https://registry.example.internal"],
    "log-driver": "json-file",
    "default-ulimits": {"memlock": {"Name": "memlock", "Hard": -1, "Soft": -1}},
    # Merged: max-file replaced by the role's value, labels kept, max-size added.
    "log-opts": {"max-file": "3", "labels": "team", "max-size": "10m"},
    # Added by the role.
    "live-restore": True,
}
SEEDED_RUNTIME = {"runc-debug": {"path": "/usr/bin/runc", "runtimeArgs": ["--debug"]}}
# Where nvidia_container_toolkit ran after this role (its scenario), the runtime it adds.
TOOLKIT_RUNTIME = {"nvidia": {"path": "nvidia-container-runtime", "args": []}}


def test_engine_package_installed(host):
    assert host.package("docker.io").is_installed


def test_daemon_json_merged_not_overwritten(host):
    daemon = host.file("/etc/docker/daemon.json")
    assert daemon.mode == 0o644
    merged = json.loads(daemon.content_string)
    runtimes = merged.pop("runtimes")
    assert merged == EXPECTED_DAEMON_JSON
    expected_runtimes = SEEDED_RUNTIME
    if host.package("nvidia-container-toolkit-base").is_installed:
        expected_runtimes = SEEDED_RUNTIME | TOOLKIT_RUNTIME
    assert runtimes == expected_runtimes


def test_service_enabled_and_running(host):
    service = host.service("docker")
    assert service.is_enabled
    assert service.is_running


def test_daemon_applies_the_merged_config(host):
    info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["LiveRestoreEnabled"] is True
    assert info["RegistryConfig"]["Mirrors"] == ["https://registry.example.internal/"]
    assert info["LoggingDriver"] == "json-file"
    assert "runc-debug" in info["Runtimes"]
