"""The production-shaped sandbox that `make demo-ha` deployed (inventories/sandbox-ha): two llama.cpp
backends, two gateways sharing PostgreSQL and Redis on the state host, and an ingress host."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
import pytest
import testinfra

from llm_onprem.cli import GATEWAY_PORT
from llm_onprem.inventory import published_port
from tests.conftest import ROOT

INVENTORY = ROOT / "inventories" / "sandbox-ha"
SECRETS = INVENTORY / ".secrets"
CA_FILE = SECRETS / "tls" / "ca.crt"
MODEL = "smollm2-135m-instruct"
BACKENDS = ("llm-onprem-ha-backend-1", "llm-onprem-ha-backend-2")
GATEWAYS = ("llm-onprem-ha-gateway-1", "llm-onprem-ha-gateway-2")
STATE = "llm-onprem-ha-state-1"
INGRESS = "llm-onprem-ha-ingress-1"
LITELLM_PORT = 4000
LLAMA_CPP_PORT = 8080


def host(name: str):
    return testinfra.get_host(f"docker://{name}")


def address(name: str) -> str:
    return host(name).interface("eth0").addresses[0]


@pytest.fixture(scope="session")
def master_key() -> str:
    return "sk-" + (SECRETS / "litellm_master_key").read_text().strip()


# The first ingress host's HTTPS port, published on this machine's loopback (its sandbox_host_port).
INGRESS_URL = f"https://127.0.0.1:{published_port(INVENTORY / 'hosts.yml', GATEWAY_PORT)}"


@pytest.fixture(scope="session")
def ingress_url() -> str:
    return INGRESS_URL


@pytest.fixture(scope="session")
def client(ingress_url):
    context = ssl.create_default_context(cafile=CA_FILE)
    with httpx.Client(base_url=ingress_url, timeout=120, verify=context) as http:
        yield http


def gateway_client(name: str) -> httpx.Client:
    """One gateway's LiteLLM directly (plain HTTP on the private network: the sandbox lets the
    controller in, as a site lets its monitoring host in)."""
    return httpx.Client(base_url=f"http://{address(name)}:{LITELLM_PORT}", timeout=120)


T = TypeVar("T")


def wait_for(condition: Callable[[], T], limit_s: float, what: str, every_s: float = 0.5) -> tuple[float, T]:
    """(seconds, value) once `condition()` returns a true value (polled every `every_s`), or fail after
    limit_s saying `what` and the last value. An exception counts as not yet: a service coming back
    refuses connections meanwhile."""
    started = time.monotonic()
    last: object = None
    while time.monotonic() - started < limit_s:
        try:
            last = condition()
        except Exception as error:  # retried until the limit
            last = error
        else:
            if last:
                return round(time.monotonic() - started, 1), last
        time.sleep(every_s)
    pytest.fail(f"{what} within {limit_s} s (last: {last!r})")


def chat(prompt: str, max_tokens: int = 4, **extra) -> dict:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
        **extra,
    }


# Runs after the other tests of the same pytest run, whatever the file names: it restarts every
# service into a changed configuration and rotates the backend keys (`make e2e-ha-load` runs it after
# the fault, soak and VIP tests).
LAST = "test_upgrade.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == LAST)
