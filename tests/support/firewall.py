"""What a host's service-port firewall (llm_firewall, a table of its own) does to a source it does not
allow, seen from the controller (the sandbox network's gateway address, never an allowed source in
the Molecule scenarios)."""

from __future__ import annotations

import socket

import pytest


def assert_refused_by_table(host, address: str, port: int, table: str) -> None:
    """A connection from the controller to address:port is reset, and by the table's rule (its
    counter moved), not by a closed port."""
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()
    rules = host.check_output(f"nft list table inet {table}")
    assert "reject with tcp reset" in rules
    assert "counter packets 0 " not in rules  # refused by the rule, not by a closed port
