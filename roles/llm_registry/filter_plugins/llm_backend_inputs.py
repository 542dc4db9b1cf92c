"""Inputs a backend role refuses at entry because they open a way in (each message names the
variable and the fix). The backend roles pass their settings; see llm_backend_input_problems."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

ALL_INTERFACES = {"0.0.0.0", "::", "[::]", "*", ""}
# Flags that move the listener or put a secret on the command line; the role owns them.
BIND_FLAGS = ("--host", "--port", "--api-key", "--api-key-file")
BIND_ENVIRONMENT = (
    "OLLAMA_HOST",
    "OLLAMA_ORIGINS",
    "VLLM_HOST_IP",
    "VLLM_API_KEY",
    "LLAMA_ARG_HOST",
    "LLAMA_ARG_PORT",
)
MIN_KEY_LENGTH = 16


def _flag_names(args: Iterable[Any]) -> list[str]:
    return [str(a).split("=", 1)[0] for a in args if str(a).startswith("--")]


def _bad_path(path: str) -> bool:
    return not path or path.startswith("/") or ".." in path.split("/") or posixpath.normpath(path) != path


def llm_backend_input_problems(role: str, settings: Mapping[str, Any]) -> list[str]:
    """Problems with a backend role's settings, empty when none. `settings` keys (all optional):
    host, bind_all_interfaces, user, api_key_enabled, api_key, extra_args, environment,
    model_files (relative file names under the role's model directory), trust_remote_code."""
    problems: list[str] = []
    host = str(settings.get("host", "127.0.0.1")).strip()
    if host in ALL_INTERFACES and not settings.get("bind_all_interfaces", False):
        problems.append(
            f"{role}_host is '{host}', every interface: set the host's private address (the gateways "
            f"reach it there, behind llm_firewall), or {role}_bind_all_interfaces: true if you really "
            "want every interface"
        )
    user = str(settings.get("user", "")).strip()
    if user in {"root", "0"}:
        problems.append(
            f"{role}_user is '{user}': the service runs as its own unprivileged account; pick another name"
        )
    if settings.get("api_key_enabled", False):
        key = str(settings.get("api_key", "")).strip()
        if not key or key.startswith("#") or len(key) < MIN_KEY_LENGTH or any(c.isspace() for c in key):
            problems.append(
                f"{role}_api_key is empty, a comment, shorter than {MIN_KEY_LENGTH} characters or has "
                "spaces, which would turn the backend's own authentication off: leave it unset (a key is "
                f"generated) or give a real one; {role}_api_key_enabled: false says so explicitly"
            )
    flags = _flag_names(settings.get("extra_args", []) or [])
    for flag in BIND_FLAGS:
        if flag in flags:
            problems.append(
                f"{role}_extra_args sets {flag}: the role owns the listener and the key "
                f"({role}_host, {role}_port, the generated key file); remove it there"
            )
    if "--trust-remote-code" in flags and not settings.get("trust_remote_code", False):
        problems.append(
            f"{role}_extra_args has --trust-remote-code, which runs Python shipped with the model: "
            f"remove it, or set {role}_trust_remote_code: true after reviewing the model's code"
        )
    environment = settings.get("environment", {}) or {}
    for name in BIND_ENVIRONMENT:
        if name in environment:
            problems.append(
                f"{role} extra environment sets {name}: the role owns the listener and the key; "
                "remove it there"
            )
    for path in settings.get("model_files", []) or []:
        if _bad_path(str(path)):
            problems.append(
                f"{role}: model file name '{path}' is absolute, has '..' or is not normalised: "
                "model files stay under the role's model directory; use a plain relative name"
            )
    return problems


def llm_gguf_file_name(gguf: Mapping[str, Any]) -> str:
    """The file name a catalog `gguf:` source is stored under: its `file`, else its URL's last segment."""
    if gguf.get("file"):
        return str(gguf["file"])
    return posixpath.basename(urlsplit(str(gguf.get("url", ""))).path)


def llm_gguf_fit_models(
    models: Iterable[Mapping[str, Any]], directory: str, context: int
) -> list[dict[str, Any]]:
    """What the memory-fit check reads for the catalog entries with a `gguf:` source stored in
    `directory`: {name, path, context} each (tasks/memory_fit.yml)."""
    return [
        {
            "name": str(m["name"]),
            "path": f"{directory}/{llm_gguf_file_name(m['gguf'])}",
            "context": int(context),
        }
        for m in models
        if m.get("gguf")
    ]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "llm_backend_input_problems": llm_backend_input_problems,
            "llm_gguf_file_name": llm_gguf_file_name,
            "llm_gguf_fit_models": llm_gguf_fit_models,
        }
