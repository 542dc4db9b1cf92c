#!/usr/bin/python
"""Wait until a systemd unit's own process answers an HTTP readiness URL."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: llm_service_ready
short_description: Wait until a systemd unit's own process answers an HTTP readiness URL
description:
  - Polls I(url) until it answers 200, then checks that the socket listening on the URL's address and
    port belongs to a process of I(unit)'s control group, so another process squatting on the port
    (an old instance, a stray server) cannot pass for the service.
  - Fails at once when the unit enters the failed state, naming the journal to read.
options:
  unit: {description: systemd unit name (without .service), type: str, required: true}
  url: {description: readiness URL (http), type: str, required: true}
  timeout: {description: seconds to wait, type: int, default: 120}
  delay: {description: seconds between attempts, type: float, default: 1.0}
author: llm-onprem
"""

EXAMPLES = r"""
- name: Wait for llama-server
  llm_service_ready:
    unit: llama-server
    url: http://10.0.0.5:8080/health
    timeout: 300
"""

RETURN = r"""
pid: {description: PID of the unit's process that owns the listening socket, type: int, returned: success}
proof: {description: how the ownership was established, type: str, returned: success}
elapsed: {description: seconds waited, type: float, returned: always}
"""

ANY = {ipaddress.ip_address("0.0.0.0"), ipaddress.ip_address("::")}
LISTEN = "0A"


def _parse_address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ipaddress.IPv4Address(raw[::-1])
    # /proc/net/tcp6: four 32-bit words, each in host (little-endian) order
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return address.ipv4_mapped or address


def listening_sockets(host: str, port: int, proc: str = "/proc") -> dict[int, int]:
    """{inode: owner uid} of the TCP sockets listening on (host, port), or on every address at that port."""
    wanted = ipaddress.ip_address(host)
    sockets = {}
    for table in ("net/tcp", "net/tcp6"):
        try:
            with open(os.path.join(proc, table)) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, uid, inode = fields[1], fields[3], int(fields[7]), int(fields[9])
            address, _, local_port = local.partition(":")
            if state != LISTEN or int(local_port, 16) != port:
                continue
            bound = _parse_address(address)
            if bound == wanted or bound in ANY:
                sockets[inode] = uid
    return sockets


def listening_inodes(host: str, port: int, proc: str = "/proc") -> set[int]:
    return set(listening_sockets(host, port, proc))


def socket_owners(inodes: set[int], proc: str = "/proc") -> set[int]:
    """PIDs holding one of these socket inodes open."""
    names = {f"socket:[{inode}]" for inode in inodes}
    owners = set()
    for pid in filter(str.isdigit, os.listdir(proc)):
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            for fd in os.listdir(fd_dir):
                if os.readlink(os.path.join(fd_dir, fd)) in names:
                    owners.add(int(pid))
                    break
        except OSError:
            continue
    return owners


def control_group_of(pid: int, proc: str = "/proc") -> str:
    """The pid's cgroup path (the unified hierarchy's, else the systemd controller's)."""
    with open(os.path.join(proc, str(pid), "cgroup")) as handle:
        lines = handle.read().splitlines()
    for line in lines:
        if line.startswith("0::"):
            return line[3:]
    for line in lines:
        if ":name=systemd:" in line:
            return line.split(":", 2)[2]
    return ""


def uid_of(pid: int, proc: str = "/proc") -> int | None:
    try:
        with open(os.path.join(proc, str(pid), "status")) as handle:
            for line in handle:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def in_group(group: str, control_group: str) -> bool:
    unit_group = control_group.rstrip("/")
    # In a container the kernel may show the host's prefix before systemd's own path.
    return group == control_group or bool(
        unit_group and (group.endswith(unit_group) or unit_group + "/" in group)
    )


def owned_by(
    control_group: str, host: str, port: int, main_pid: int = 0, proc: str = "/proc"
) -> tuple[int | None, set[int], str]:
    """(the owning PID inside control_group or None, every PID listening on host:port, how it was proven).

    The socket's inode is mapped to the processes holding it through /proc/PID/fd. Where those are
    unreadable (root without CAP_SYS_PTRACE, as in an unprivileged container), the proof falls back to
    the socket's owner uid, which must be the uid of the unit's main process."""
    sockets = listening_sockets(host, port, proc)
    owners = socket_owners(set(sockets), proc)
    if not control_group:
        return None, owners, "the unit has no control group"
    for pid in sorted(owners):
        if in_group(control_group_of(pid, proc), control_group):
            return pid, owners, "socket held by a process of the unit"
    if not owners and main_pid and sockets:
        main_uid = uid_of(main_pid, proc)
        if main_uid is not None and in_group(control_group_of(main_pid, proc), control_group):
            if main_uid in sockets.values():
                return (
                    main_pid,
                    owners,
                    f"socket owned by uid {main_uid}, the unit's main process's (fds unreadable)",
                )
            return (
                None,
                owners,
                f"socket owned by uid(s) {sorted(set(sockets.values()))}, not the unit's {main_uid}",
            )
    return None, owners, "no process of the unit holds the socket"


def unit_state(unit: str) -> dict[str, str]:
    output = subprocess.run(
        ["systemctl", "show", "--property=ActiveState,SubState,ControlGroup,MainPID", f"{unit}.service"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "unit": {"type": "str", "required": True},
            "url": {"type": "str", "required": True},
            "timeout": {"type": "int", "default": 120},
            "delay": {"type": "float", "default": 1.0},
        },
        supports_check_mode=True,
    )
    if module.check_mode:
        module.exit_json(changed=False, elapsed=0.0)
    unit, url = module.params["unit"], module.params["url"]
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        module.fail_json(msg=f"llm_service_ready: url must be http://HOST:PORT/PATH (got {url!r})")
    host = parts.hostname
    if not re.match(r"^[0-9a-fA-F:.]+$", host):
        host = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)[0][4][0]
    port = parts.port or 80
    start = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - start < module.params["timeout"]:
        state = unit_state(unit)
        if state.get("ActiveState") == "failed":
            module.fail_json(
                msg=f"{unit} failed while starting ({state.get('SubState')}): see journalctl -u {unit}",
                elapsed=time.monotonic() - start,
            )
        status = answers(url)
        if status == 200:
            main_pid = int(state.get("MainPID") or 0)
            pid, owners, proof = owned_by(state.get("ControlGroup", ""), host, port, main_pid)
            if pid is not None:
                module.exit_json(changed=False, pid=pid, proof=proof, elapsed=time.monotonic() - start)
            last = (
                f"{url} answers 200, but not from {unit} (control group "
                f"{state.get('ControlGroup') or 'none: the unit is not running'}): {proof}; "
                f"PID(s) holding the socket: {sorted(owners) or 'unknown'}"
            )
        else:
            last = f"{url} answered {status}" if status else f"nothing answers on {url}"
        time.sleep(module.params["delay"])
    module.fail_json(
        msg=f"{unit} not ready after {module.params['timeout']} s: {last}", elapsed=time.monotonic() - start
    )


if __name__ == "__main__":
    main()
