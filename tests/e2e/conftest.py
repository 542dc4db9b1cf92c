"""The sandbox stack that `make demo` deployed: hosts, gateway URL, keys."""

from __future__ import annotations

import os
import ssl

import httpx
import pytest
import testinfra
import yaml

from tests.conftest import ROOT
from tests.support.backends import Backend, profile

BACKEND = "llm-onprem-backend-1"
GATEWAY = "llm-onprem-gateway-1"
MODEL = "smollm2-135m-instruct"
SECRETS = ROOT / "inventories" / "sandbox" / ".secrets"


# The backend `make demo` deployed on the sandbox host (the Makefile exports it).
SELECTED = profile(os.environ.get("LLM_BACKEND", "llama_cpp"))

# The sandbox catalog's entries of that backend (the fields read here are literal YAML, not templated).
SANDBOX_VARS = yaml.safe_load((ROOT / "inventories/sandbox/group_vars/all.yml").read_text())
CATALOG = [e for e in SANDBOX_VARS["llm_models"] if e["backend"] == SELECTED.name]
# How the tool-call checks start SmolLM2's turn (its <tool_call> tag: the sandbox's variable says why).
TOOL_CALL_PREFILL = SANDBOX_VARS.get("llm_verify_tool_call_prefill", "")
# Every port the backend host serves a model on: the role's, and each further model's own.
MODEL_PORTS = sorted({SELECTED.port} | {int(e["port"]) for e in CATALOG if e.get("port")})


@pytest.fixture(scope="session")
def backend_profile() -> Backend:
    return SELECTED


@pytest.fixture(scope="session")
def backend():
    return testinfra.get_host(f"docker://{BACKEND}")


@pytest.fixture(scope="session")
def gateway():
    return testinfra.get_host(f"docker://{GATEWAY}")


# The CA that llm_ingress generated and that signed the gateway's certificate.
CA_FILE = SECRETS / "tls" / "ca.crt"


def ca_context() -> ssl.SSLContext:
    """Verifies the gateway's certificate against the generated CA, as a client given ca.crt would."""
    return ssl.create_default_context(cafile=CA_FILE)


@pytest.fixture(scope="session")
def gateway_url() -> str:
    """The gateway's public HTTPS port (llm_ingress), published on this machine's loopback."""
    return f"https://127.0.0.1:{os.environ.get('LLM_ONPREM_GATEWAY_PORT', '4000')}"


@pytest.fixture(scope="session")
def master_key() -> str:
    return "sk-" + (SECRETS / "litellm_master_key").read_text().strip()


@pytest.fixture(scope="session")
def client(gateway_url):
    with httpx.Client(base_url=gateway_url, timeout=120, verify=ca_context()) as http:
        yield http
