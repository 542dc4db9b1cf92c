"""Two gateways, one state: a response cached by one gateway is served by the other, a key's limits
hold across both, and the gateways' own port answers the ingress (and the controller) only."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from tests.ha.conftest import BACKENDS, GATEWAYS, LITELLM_PORT, MODEL, address, chat, gateway_client, host

pytestmark = pytest.mark.ha


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_response_cached_by_one_gateway_is_served_by_the_other(master_key):
    """litellm_cache_mode default_off: a request asks for the cache ("use-cache"); the second one,
    on the other gateway, comes from Redis (x-litellm-cache-key, the same completion id), faster
    than the backend; a request that does not ask is never served from it."""
    body = chat(f"Name a colour. ({uuid.uuid4()})", max_tokens=8, cache={"use-cache": True})
    with gateway_client(GATEWAYS[0]) as first, gateway_client(GATEWAYS[1]) as second:
        started = time.monotonic()
        miss = first.post("/v1/chat/completions", json=body, headers=_auth(master_key))
        miss_s = time.monotonic() - started
        assert miss.status_code == 200, miss.text
        assert not miss.headers.get("x-litellm-cache-key")
        started = time.monotonic()
        hit = second.post("/v1/chat/completions", json=body, headers=_auth(master_key))
        hit_s = time.monotonic() - started
        assert hit.status_code == 200, hit.text
        assert hit.headers.get("x-litellm-cache-key"), dict(hit.headers)
        assert hit.json()["id"] == miss.json()["id"]
        assert hit.json()["choices"][0]["message"] == miss.json()["choices"][0]["message"]
        print(f"cache: miss on gateway 1 {miss_s * 1000:.0f} ms, hit on gateway 2 {hit_s * 1000:.0f} ms")
        uncached = dict(body)
        del uncached["cache"]
        fresh = second.post("/v1/chat/completions", json=uncached, headers=_auth(master_key))
        assert fresh.status_code == 200, fresh.text
        assert not fresh.headers.get("x-litellm-cache-key")
        assert fresh.json()["id"] != miss.json()["id"]


def test_a_keys_rpm_limit_holds_across_both_gateways(client, master_key):
    """A key allowed 4 requests a minute, its requests alternating between the gateways: at most 4
    succeed in all (each gateway counting alone would let 8 through), the rest get 429."""
    made = client.post(
        "/key/generate",
        json={"key_alias": f"ha-rpm-{uuid.uuid4().hex[:8]}", "models": [MODEL], "rpm_limit": 4},
        headers=_auth(master_key),
    )
    assert made.status_code == 200, made.text
    key = made.json()["key"]
    try:
        codes = []
        with gateway_client(GATEWAYS[0]) as first, gateway_client(GATEWAYS[1]) as second:
            for i in range(8):
                gateway = (first, second)[i % 2]
                response = gateway.post("/v1/chat/completions", json=chat(f"Say {i}."), headers=_auth(key))
                codes.append(response.status_code)
        print(f"rpm 4 across two gateways, alternating: {codes}")
        assert codes.count(200) <= 4, codes
        assert codes.count(429) >= 4, codes
        assert set(codes) <= {200, 429}, codes
    finally:
        client.post("/key/delete", json={"keys": [key]}, headers=_auth(master_key))


def test_the_gateways_port_is_closed_to_other_hosts():
    """From a backend host (neither the ingress nor the controller), LiteLLM's port is refused."""
    backend = host(BACKENDS[0])
    probe = (
        "import socket,sys\n"
        f"s=socket.socket(); s.settimeout(5)\n"
        f"sys.exit(s.connect_ex(('{address(GATEWAYS[0])}', {LITELLM_PORT})))"
    )
    result = backend.run(f'python3 -c "{probe}"')
    assert result.rc == 111, (result.rc, result.stderr)  # ECONNREFUSED: the firewall's reset
    # From the controller it answers (allowed, like a monitoring host).
    socket.create_connection((address(GATEWAYS[0]), LITELLM_PORT), timeout=5).close()
