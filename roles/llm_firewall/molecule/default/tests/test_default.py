"""llm_firewall alone: the port answers loopback, everyone else (here: the controller, which reaches
the container from the network's gateway address) is refused; the rules survive a reload and are
loaded by an enabled unit."""

import socket

import pytest

PORT = 8080


def _address(host) -> str:
    return host.interface("eth0").addresses[0]


def test_unit_enabled_and_rules_loaded(host):
    assert host.service("llm-onprem-firewall").is_enabled
    table = host.check_output("nft list table inet llm_onprem")
    assert "192.0.2.10" in table
    assert "198.51.100.0/24" in table
    assert f'tcp dport {PORT} iif "lo" accept' in table
    assert "reject with tcp reset" in table


def test_loopback_is_served(host):
    assert (
        host.run(
            "python3 -c %s",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}/', timeout=5)",
        ).rc
        == 0
    )


def test_another_host_is_refused(host):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((_address(host), PORT), timeout=5).close()
    counted = host.check_output("nft list table inet llm_onprem")
    assert "counter packets 0 " not in counted


def test_other_ports_and_tables_are_untouched(host):
    ruleset = host.check_output("nft list ruleset")
    # Docker's embedded-DNS NAT table is still there: the role replaces its own table only.
    assert "table ip nat" in ruleset
    assert host.run("nft list tables").stdout.count("llm_onprem") == 1


def test_reload_keeps_one_table(host):
    assert host.run("systemctl reload llm-onprem-firewall").rc == 0
    assert host.run("nft list tables").stdout.count("llm_onprem") == 1
