"""The backend registry (roles/llm_registry/defaults/main.yml), as the tests read it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from tests.conftest import ROOT

REGISTRY_FILE = ROOT / "roles" / "llm_registry" / "defaults" / "main.yml"
# Where each role stages GGUF files on the host (a role detail the registry does not carry).
MODELS_DIR = {
    "llama_cpp": "/var/lib/llama-server/models",
    "ollama": "/var/lib/ollama/import",
    "vllm": "/var/lib/vllm/models",
}


@cache
def registry() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(REGISTRY_FILE.read_text())["llm_registry_backends"]


def deployable() -> list[str]:
    """The backends a role deploys on a host (external ones excluded), in registry order."""
    return [name for name, spec in registry().items() if spec["role"]]


@dataclass(frozen=True)
class Backend:
    name: str  # llm_backend
    service: str  # systemd unit
    port: int
    requires_key: bool  # the backend itself authenticates callers
    port_variable: str
    models_dir: str
    readiness_path: str  # GET answering 200 once the model is loaded, without a key


def profile(name: str) -> Backend:
    spec = registry()[name]
    return Backend(
        name=name,
        service=spec["service"],
        port=spec["port"],
        requires_key=spec["auth"] == "api_key",
        port_variable=f"{spec['role']}_port",
        models_dir=MODELS_DIR.get(name, ""),
        readiness_path=spec["readiness_path"],
    )
