"""The endpoint's virtual address (llm_ingress, keepalived): on exactly one of the two ingress hosts,
served over HTTPS with a certificate that names it, moved to the other host when its haproxy stops,
and when its host drops off the network under load (`llm-onprem bench`, 4 clients, 200 requests to
the VIP): the failed requests and the longest time without a completed request are measured."""

from __future__ import annotations

import itertools
import json
import re
import ssl
import time

import httpx
import pytest

from tests.ha.conftest import CA_FILE, host
from tests.ha.test_failover import CLIENTS, REQUESTS, _bench_during, _record, _wait

pytestmark = pytest.mark.ha

INGRESS_HOSTS = ("llm-onprem-ha-ingress-1", "llm-onprem-ha-ingress-2")
KEEPALIVED_CONFIG = "/etc/keepalived/keepalived.conf"
# What a client of the VIP test waits for an answer before it gives a request up.
CLIENT_TIMEOUT_S = 15


def _vip() -> str:
    """The VIP as the role wrote it into keepalived's configuration (the same on both hosts)."""
    found = {
        name: re.findall(r"^\s*([0-9.]+)/32 dev ", host(name).file(KEEPALIVED_CONFIG).content_string, re.M)
        for name in INGRESS_HOSTS
    }
    assert all(len(v) == 1 for v in found.values()), found
    assert len({v[0] for v in found.values()}) == 1, found
    return found[INGRESS_HOSTS[0]][0]


def _holders(vip: str) -> list[str]:
    pattern = re.compile(rf"\binet {re.escape(vip)}/32\b")
    return [name for name in INGRESS_HOSTS if pattern.search(host(name).check_output("ip -4 -o addr show"))]


def _https_ok(vip: str) -> bool:
    context = ssl.create_default_context(cafile=CA_FILE)  # verifies that the certificate names the VIP
    with httpx.Client(timeout=10, verify=context) as client:
        return client.get(f"https://{vip}/health/readiness").status_code == 200


def _longest_gap_s(samples: list[dict]) -> float:
    """The longest time between two completed requests (what a client sees as the outage)."""
    ends = sorted(s["end"] for s in samples if not s.get("error"))
    return round(max((b - a for a, b in itertools.pairwise(ends)), default=0.0), 1)


def test_the_vip_is_on_one_ingress_host_and_served_over_https_naming_it():
    vip = _vip()
    _wait(lambda: len(_holders(vip)) == 1, 30, f"{vip} not on exactly one of {INGRESS_HOSTS}")
    assert _https_ok(vip)
    for name in INGRESS_HOSTS:  # it holds the VRRP password
        config = host(name).file(KEEPALIVED_CONFIG)
        assert (config.user, config.mode) == ("root", 0o600), name
        assert host(name).service("keepalived").is_enabled


def test_the_vip_leaves_a_host_whose_haproxy_stops():
    vip = _vip()
    [holder] = _holders(vip)
    [other] = [name for name in INGRESS_HOSTS if name != holder]
    try:
        host(holder).run("systemctl stop haproxy")
        moved_s = _wait(lambda: _holders(vip) == [other], 30, f"{vip} did not move to {other}")
        served_s = _wait(lambda: _https_ok(vip), 30, f"{vip} not served from {other}")
    finally:
        host(holder).run("systemctl start haproxy")
    _record("ingress haproxy stopped (VIP)", {"moved_s": moved_s, "served_after_move_s": served_s})


def test_an_ingress_host_off_the_network_under_load_fails_at_most_the_requests_in_flight(tmp_path):
    """The holder's link goes down (the host is gone, for the network): the other host stops hearing
    its adverts, takes the VIP and announces it, and new connections land there. A request in flight
    on the lost host gets no answer and no reset (nothing of that host is left to send one): it
    fails at the client's timeout (CLIENT_TIMEOUT_S here)."""
    vip = _vip()
    [holder] = _holders(vip)
    [other] = [name for name in INGRESS_HOSTS if name != holder]
    lost = host(holder)
    default_route = lost.check_output("ip route show default").strip()
    assert default_route, f"{holder} has no default route to put back"
    figures: dict[str, float] = {}

    def fault() -> None:
        lost.run("ip link set eth0 down")
        started = time.monotonic()
        figures["moved_s"] = _wait(lambda: _holders(vip) == [other], 30, f"{vip} did not move to {other}")
        _wait(lambda: _https_ok(vip), 30, f"{vip} not served from {other}")
        figures["new_connection_served_s"] = round(time.monotonic() - started, 1)

    try:
        result = _bench_during(fault, f"https://{vip}", tmp_path, timeout_s=CLIENT_TIMEOUT_S)
    finally:
        lost.run("ip link set eth0 up")
        lost.run(f"ip route replace {default_route}")
    samples = json.loads((tmp_path / "fault.json").read_text())["levels"][0]["samples"]["gateway"]
    result |= figures
    result["longest_gap_s"] = _longest_gap_s(samples)
    result["holder_after"] = _holders(vip)
    _record("ingress host off the network (VIP), non-streamed", result)
    assert result["requests"] >= REQUESTS
    assert result["holder_after"] == [other], result
    assert "new_connection_served_s" in result, result
    assert result["failed"] <= CLIENTS, result
    # The lost host is back as a backup: it does not take the address back (nopreempt).
    _wait(lambda: _https_ok(vip), 30, "the VIP stopped serving once the lost host was back")
    time.sleep(5)
    assert _holders(vip) == [other]
