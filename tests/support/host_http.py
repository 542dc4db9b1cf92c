"""HTTP from inside a testinfra host (stdlib only there): services that bind loopback are reached
where they run. Shared by the Molecule scenarios' tests (their conftest puts this directory on
sys.path)."""

from __future__ import annotations

import json
from typing import Any

_CLIENT = """
import sys, urllib.request, urllib.error
url, key, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, data=body.encode() or None, method="POST" if body else "GET")
req.add_header("Content-Type", "application/json")
if key:
    req.add_header("Authorization", "Bearer " + key)
try:
    resp = urllib.request.urlopen(req, timeout=300)
    status, text = resp.status, resp.read().decode()
except urllib.error.HTTPError as err:
    status, text = err.code, err.read().decode()
print(status)
print(text)
"""


def http_in_host(host: Any, url: str, key: str = "", body: dict[str, Any] | None = None) -> tuple[int, str]:
    """GET (or POST ``body`` as JSON) ``url`` from inside ``host``; returns (status, body text)."""
    cmd = host.run("python3 -c %s %s %s %s", _CLIENT, url, key, json.dumps(body) if body else "")
    assert cmd.rc == 0, cmd.stderr
    status, _, text = cmd.stdout.partition("\n")
    return int(status), text
