"""systemd-analyze's exposure score of a unit on a testinfra host, live (the loaded unit) and offline
(the unit file as written)."""

from __future__ import annotations

import re

MAX_EXPOSURE = 2.5


def _score(output: str) -> float:
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", output)
    assert match, output[-2000:]
    return float(match.group(1))


def exposures(host, unit: str) -> tuple[float, float]:
    """(live, offline) exposure of `unit` on `host`."""
    live = host.run("systemd-analyze security --no-pager %s.service", unit)
    offline = host.run(
        "systemd-analyze security --offline=true --no-pager /etc/systemd/system/%s.service", unit
    )
    return _score(live.stdout), _score(offline.stdout)
