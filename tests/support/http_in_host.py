"""HTTP from inside a sandbox or Molecule host (its loopback services: Prometheus, Alertmanager, the
probe), with the host's own python3 (the images carry no curl)."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import urlencode

SCRIPT = """
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=20) as r:
        print(r.status); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); sys.stdout.write(e.read().decode())
"""


def get(host, url: str) -> tuple[int, str]:
    """(status, body) of a GET from inside `host`."""
    out = host.check_output(f"python3 -c {shlex.quote(SCRIPT)} {shlex.quote(url)}")
    status, _, body = out.partition("\n")
    return int(status), body


def get_json(host, url: str) -> Any:
    status, body = get(host, url)
    assert status == 200, (url, status, body[:500])
    return json.loads(body)


def prometheus_query(host, query: str, base: str = "http://127.0.0.1:9090") -> list[dict[str, Any]]:
    """The result vector of an instant query on the host's Prometheus."""
    data = get_json(host, f"{base}/api/v1/query?{urlencode({'query': query})}")
    assert data["status"] == "success", data
    return data["data"]["result"]
