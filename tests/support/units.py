"""systemd-analyze's exposure score of a unit on a testinfra host, live (the loaded unit) and offline
(the unit file as written)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

MAX_EXPOSURE = 2.5


def _score(output: str) -> float:
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", output)
    assert match, output[-2000:]
    return float(match.group(1))


def _offline_here(unit: str, text: str) -> str:
    """`systemd-analyze security --offline` of the unit file on the machine running the tests."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{unit}.service"
        path.write_text(text)
        result = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", "--no-pager", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    return result.stdout


def exposures(host, unit: str) -> tuple[float, float]:
    """(live, offline) exposure of `unit` on `host`. A host whose systemd predates --offline (Ubuntu
    22.04's 249; it came in 250) has its unit file scored offline here, on the test runner."""
    live = host.run("systemd-analyze security --no-pager %s.service", unit)
    unit_file = f"/etc/systemd/system/{unit}.service"
    offline = host.run("systemd-analyze security --offline=true --no-pager %s", unit_file)
    if offline.rc != 0 and "offline" in offline.stderr:
        return _score(live.stdout), _score(_offline_here(unit, host.file(unit_file).content_string))
    return _score(live.stdout), _score(offline.stdout)
