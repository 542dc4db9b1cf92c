"""llm_service_ready: the readiness answer must come from the unit's own process (roles/llm_service).
Exercised against real sockets and processes on this machine: the test process listens, and the check
passes only for its own control group."""

from __future__ import annotations

import http.server
import os
import socket
import threading

import pytest

from tests.conftest import load_file_module

ready = load_file_module("roles/llm_service/library/llm_service_ready.py")


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_finds_the_listening_socket_and_its_owner(server):
    inodes = ready.listening_inodes("127.0.0.1", server)
    assert inodes
    assert os.getpid() in ready.socket_owners(inodes)


def test_a_socket_on_every_address_counts_for_any_address():
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert ready.listening_inodes("127.0.0.1", port)
        assert ready.listening_inodes("10.1.2.3", port)
    assert not ready.listening_inodes("127.0.0.1", port)


def test_passes_only_for_the_owners_control_group(server):
    own = ready.control_group_of(os.getpid())
    assert own
    pid, owners, proof = ready.owned_by(own, "127.0.0.1", server)
    assert pid == os.getpid()
    assert proof == "socket held by a process of the unit"
    # A squatter: the port answers, but from a process outside the unit's control group.
    pid, owners, _ = ready.owned_by("/system.slice/llama-server.service", "127.0.0.1", server)
    assert pid is None
    assert os.getpid() in owners
    # A unit that is not running has no control group: never ready.
    assert ready.owned_by("", "127.0.0.1", server)[0] is None


def test_without_readable_fds_the_socket_uid_must_be_the_units(server, monkeypatch):
    """Root without CAP_SYS_PTRACE (an unprivileged container) cannot read other users' /proc/PID/fd:
    the socket's owner uid then has to match the unit's main process."""
    monkeypatch.setattr(ready, "socket_owners", lambda inodes, proc="/proc": set())
    own = ready.control_group_of(os.getpid())
    pid, _, proof = ready.owned_by(own, "127.0.0.1", server, main_pid=os.getpid())
    assert pid == os.getpid()
    assert f"uid {os.getuid()}" in proof
    monkeypatch.setattr(ready, "uid_of", lambda pid, proc="/proc": os.getuid() + 1)
    pid, _, proof = ready.owned_by(own, "127.0.0.1", server, main_pid=os.getpid())
    assert pid is None
    assert "not the unit's" in proof


def test_answers_reports_the_status(server):
    assert ready.answers(f"http://127.0.0.1:{server}/") == 200
    assert ready.answers(f"http://127.0.0.1:{server}/missing") == 404
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    assert ready.answers(f"http://127.0.0.1:{free}/") is None


def test_ipv6_table_addresses_are_parsed():
    # /proc/net/tcp6 spelling of ::ffff:10.0.0.5 and of ::
    assert str(ready._parse_address("0000000000000000FFFF00000500000A")) == "10.0.0.5"
    assert str(ready._parse_address("00000000000000000000000000000000")) == "::"
    assert str(ready._parse_address("0100007F")) == "127.0.0.1"
