"""The sandbox stack that `make demo` deployed: hosts, gateway URL, keys."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import pytest
import testinfra

from tests.conftest import ROOT

BACKEND = "llm-onprem-backend-1"
GATEWAY = "llm-onprem-gateway-1"
MODEL = "smollm2-135m-instruct"
SECRETS = ROOT / "inventories" / "sandbox" / ".secrets"


@dataclass(frozen=True)
class Backend:
    name: str  # llm_backend
    service: str  # systemd unit
    port: int
    requires_key: bool  # the backend itself authenticates callers
    port_variable: str
    models_dir: str  # where the role stages GGUFs


BACKENDS = {
    "llama_cpp": Backend(
        "llama_cpp", "llama-server", 8080, True, "llama_cpp_port", "/var/lib/llama-server/models"
    ),
    "ollama": Backend("ollama", "ollama", 11434, False, "ollama_port", "/var/lib/ollama/import"),
    "vllm": Backend("vllm", "vllm", 8000, True, "vllm_port", "/var/lib/vllm/models"),
}
# The backend `make demo` deployed on the sandbox host (the Makefile exports it).
SELECTED = BACKENDS[os.environ.get("LLM_BACKEND", "llama_cpp")]


@pytest.fixture(scope="session")
def backend_profile() -> Backend:
    return SELECTED


@pytest.fixture(scope="session")
def backend():
    return testinfra.get_host(f"docker://{BACKEND}")


@pytest.fixture(scope="session")
def gateway():
    return testinfra.get_host(f"docker://{GATEWAY}")


@pytest.fixture(scope="session")
def gateway_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('LLM_ONPREM_GATEWAY_PORT', '4000')}"


@pytest.fixture(scope="session")
def master_key() -> str:
    return "sk-" + (SECRETS / "litellm_master_key").read_text().strip()


@pytest.fixture(scope="session")
def client(gateway_url):
    with httpx.Client(base_url=gateway_url, timeout=120) as http:
        yield http
