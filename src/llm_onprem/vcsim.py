"""The GPU-aware vCenter simulator (tools/vcsim-gpu, built by scripts/build-vsphere-tools.sh):
start it on loopback, wait until it answers, stop it by PID."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from llm_onprem import paths


def tools_dir() -> Path:
    return Path(os.environ.get("LLM_ONPREM_VSPHERE_TOOLS", paths.cache_dir() / "vsphere-tools"))


@dataclass(frozen=True)
class Simulator:
    pid: int
    url: str  # GOVC_URL: https://user:pass@127.0.0.1:PORT/sdk

    @property
    def address(self) -> str:
        return urlsplit(self.url).netloc.rsplit("@", 1)[-1]

    @property
    def username(self) -> str:
        return urlsplit(self.url).username or ""

    @property
    def password(self) -> str:
        return urlsplit(self.url).password or ""

    def govc_env(self) -> dict[str, str]:
        return {**os.environ, "GOVC_URL": self.url, "GOVC_INSECURE": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_env(env_file: Path) -> dict[str, str]:
    values = {}
    for word in shlex.split(env_file.read_text().removeprefix("export ")):
        key, _, value = word.partition("=")
        values[key] = value
    return values


def from_env_file(env_file: Path) -> Simulator:
    """The simulator a `start` (or `llm-onprem vcsim start`) described in its env file."""
    values = _read_env(env_file)
    return Simulator(pid=int(values["VCSIM_PID"]), url=values["GOVC_URL"])


def start(workdir: Path, port: int | None = None, timeout: float = 30.0) -> Simulator:
    """Start vcsim-gpu on 127.0.0.1:<port> (a free one by default); its log and env file go to workdir."""
    binary = tools_dir() / "bin" / "vcsim-gpu"
    if not binary.exists():
        raise FileNotFoundError(
            f"{binary} is missing: run `make vsphere-tools` (scripts/build-vsphere-tools.sh)"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    env_file = workdir / "vcsim.env"
    env_file.unlink(missing_ok=True)
    listen = f"127.0.0.1:{port or free_port()}"
    with (workdir / "vcsim.log").open("ab") as log:
        process = subprocess.Popen(
            [str(binary), "-l", listen, "-env-file", str(env_file)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (workdir / "vcsim.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vcsim-gpu exited with {process.returncode}; see {workdir / 'vcsim.log'}")
        if env_file.exists() and env_file.read_text().endswith("\n"):
            host, _, p = listen.partition(":")
            try:
                socket.create_connection((host, int(p)), timeout=1).close()
            except OSError:
                pass
            else:
                return from_env_file(env_file)
        time.sleep(0.2)
    stop(process.pid)
    raise TimeoutError(f"vcsim-gpu did not answer on {listen} within {timeout:.0f} s")


def stop(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the simulator, SIGKILL it if it lingers."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for its existence instead
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            finished = 0
        if finished:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def start_command(directory: Path, port: int) -> int:
    sim = start(directory, port)
    print(f"vcsim-gpu (PID {sim.pid}) at {sim.url}; stop it with `llm-onprem vcsim stop`")
    print(f"  source {directory / 'vcsim.env'} for govc")
    return 0


def stop_command(directory: Path) -> int:
    pid_file = directory / "vcsim.pid"
    if not pid_file.exists():
        print(f"no {pid_file}: nothing to stop", file=sys.stderr)
        return 0
    stop(int(pid_file.read_text()))
    pid_file.unlink()
    return 0
