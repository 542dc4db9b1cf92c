"""The gateway's model_list, built from the backend registry, the model catalog and the backend hosts.

One deployment per (backend host, catalog entry of that host's backend), plus one per catalog entry of
an external backend (``openai_compatible``: an endpoint this project does not deploy). Kept in Python so
that the rules are unit-tested directly (tests/unit/test_litellm_model_list.py), not through a play.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - the unit tests import this file without Ansible too

    class AnsibleFilterError(Exception):  # type: ignore[no-redef]
        pass


LOOPBACK = re.compile(r"^(127\.|localhost$|::1$|\[::1\]$)")
# What a catalog entry can claim: its mode (chat or embedding, one of them) and, for chat, the
# request features the gateway lets through (filter_plugins' callers: model_info and the guard).
MODES = ("chat", "embedding")
FEATURES = ("tools", "structured_output")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def entry_capabilities(entry: Mapping[str, Any]) -> list[str]:
    """The entry's capabilities (default: chat only), in a fixed order."""
    given = entry.get("capabilities") or ["chat"]
    return [c for c in (*MODES, *FEATURES) if c in given]


def guard_capabilities(entry: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """What the gateway's guard lets through to a deployment of the entry: its capabilities, and
    `tool_choice_named` when it claims tools on a backend that honours a named tool_choice (the
    registry's `tool_choice`)."""
    caps = entry_capabilities(entry)
    named = "tools" in caps and "named" in (spec.get("tool_choice") or [])
    return caps + (["tool_choice_named"] if named else [])


def entry_port(entry: Mapping[str, Any], role_port: int) -> int:
    """The port an entry is served on: its own `port` (backends with one service per model), else the
    role's port on that host."""
    return int(entry["port"]) if entry.get("port") is not None else int(role_port)


def _check_capabilities(where: str, entry: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    given = entry.get("capabilities", ["chat"])
    known = (*MODES, *FEATURES)
    if not isinstance(given, list) or not given or any(c not in known for c in given):
        raise AnsibleFilterError(
            f"{where}: capabilities is a list of {list(known)} with chat or embedding, got {given!r}"
        )
    modes = [c for c in given if c in MODES]
    if len(modes) != 1:
        raise AnsibleFilterError(
            f"{where}: capabilities names exactly one of chat or embedding (the model's mode), got {given}"
        )
    if modes == ["embedding"] and any(c in FEATURES for c in given):
        raise AnsibleFilterError(
            f"{where}: tools and structured_output are chat features; an embedding model has neither"
        )
    offered = spec.get("capabilities", list(known))
    refused = [c for c in given if c not in offered]
    if refused:
        raise AnsibleFilterError(
            f"{where}: the {entry['backend']} backend cannot serve {refused} (it offers {offered})"
        )


def _check_serving(
    where: str,
    index: int,
    entry: Mapping[str, Any],
    catalog: list[Mapping[str, Any]],
    spec: Mapping[str, Any],
) -> None:
    """`port`, `chat_template` and `tool_call_parser`: only where the backend uses them."""
    per_model = spec.get("instances") == "per_model"
    if entry.get("port") is not None:
        port = entry["port"]
        if not per_model:
            raise AnsibleFilterError(
                f"{where}: `port` is for backends with one service per model; {entry['backend']} takes its "
                "port from the host's role variable"
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise AnsibleFilterError(f"{where}: port must be a TCP port number (1-65535), got {port!r}")
    if per_model:
        same = [e for e in catalog[:index] if e.get("backend") == entry["backend"]]
        if same and entry.get("port") is None:
            raise AnsibleFilterError(
                f"{where}: a {entry['backend']} host serves every {entry['backend']} entry, each in its own "
                "service: every entry after the first needs its own `port`"
            )
        if entry.get("port") is not None and entry["port"] in [e.get("port") for e in same]:
            raise AnsibleFilterError(
                f"{where}: port {entry['port']} is already another {entry['backend']} entry's"
            )
    template = entry.get("chat_template")
    if template is not None:
        if entry["backend"] not in ("llama_cpp", "vllm"):
            raise AnsibleFilterError(f"{where}: chat_template is for llama_cpp and vllm entries")
        if (
            not isinstance(template, Mapping)
            or not template.get("url")
            or not SHA256.match(str(template.get("sha256", "")))
        ):
            raise AnsibleFilterError(
                f"{where}: chat_template takes url and sha256 (64 lowercase hex), got {template!r}"
            )
    parser = entry.get("tool_call_parser")
    if parser is not None and entry["backend"] != "vllm":
        raise AnsibleFilterError(f"{where}: tool_call_parser is vLLM's (--tool-call-parser)")
    if entry["backend"] == "vllm":
        claims_tools = "tools" in entry_capabilities(entry)
        if claims_tools and not parser:
            raise AnsibleFilterError(
                f"{where}: a vllm entry that claims `tools` names its model's call format in "
                "tool_call_parser (vLLM's --tool-call-parser, e.g. hermes): vLLM refuses a forced "
                "tool_choice without one"
            )
        if parser and not claims_tools:
            raise AnsibleFilterError(
                f"{where}: tool_call_parser turns tool calls on: the entry must claim `tools` too"
            )


def _env_name(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Z0-9]", "_", name.upper())


def _host_setting(hostvars: Mapping[str, Any], role: str, suffix: str, default: Any) -> Any:
    value = hostvars.get(f"{role}_{suffix}", default)
    return default if value is None else value


def check_catalog(catalog: list[Mapping[str, Any]], registry: Mapping[str, Mapping[str, Any]]) -> None:
    """Every entry names a known backend and carries exactly the source kinds that backend accepts."""
    for index, entry in enumerate(catalog):
        where = f"llm_models[{index}] ({entry.get('name', '?')})"
        if not entry.get("name"):
            raise AnsibleFilterError(f"{where}: every catalog entry needs a `name`")
        backend = entry.get("backend")
        if backend not in registry:
            raise AnsibleFilterError(
                f"{where}: backend {backend!r} is not in the backend registry ({', '.join(sorted(registry))})"
            )
        accepted = registry[backend]["model_sources"]
        given = [kind for kind in ("gguf", "hf", "ollama", "endpoint") if kind in entry]
        if not given or any(kind not in accepted for kind in given):
            raise AnsibleFilterError(
                f"{where}: a {backend} entry takes one source of {accepted} (got {given or 'none'})"
            )
        if backend == "openai_compatible" or "endpoint" in entry:
            endpoint = entry["endpoint"]
            if not re.match(r"^https?://[^/]+", str(endpoint.get("base_url", ""))):
                raise AnsibleFilterError(f"{where}: endpoint.base_url must be an http(s) URL")
            timeout = endpoint.get("timeout", 60)
            if not isinstance(timeout, int) or timeout < 1:
                raise AnsibleFilterError(f"{where}: endpoint.timeout must be a positive integer (seconds)")
        _check_capabilities(where, entry, registry[backend])
        _check_serving(where, index, entry, catalog, registry[backend])
        cost = entry.get("cost_per_1m_tokens")
        if cost is not None and (
            not isinstance(cost, Mapping)
            or not cost
            or set(cost) - {"input", "output"}
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in cost.values())
        ):
            raise AnsibleFilterError(
                f"{where}: cost_per_1m_tokens takes input and/or output, each a number >= 0 "
                f"(the price of a million tokens that budgets count), got {cost!r}"
            )
        for fallback in entry.get("fallbacks", []):
            if fallback not in {e.get("name") for e in catalog}:
                raise AnsibleFilterError(f"{where}: fallback {fallback!r} is not a catalog name")


def _cost_params(entry: Mapping[str, Any]) -> dict[str, float]:
    """LiteLLM's per-token prices from the entry's cost_per_1m_tokens (nothing when it has none: a
    self-hosted model costs 0, and a budget then never runs out)."""
    cost = entry.get("cost_per_1m_tokens") or {}
    return {f"{kind}_cost_per_token": float(cost[kind]) / 1e6 for kind in ("input", "output") if kind in cost}


def _model_info(entry: Mapping[str, Any], deployment_id: str) -> dict[str, Any]:
    """LiteLLM's model_info for the entry: its id, mode and the features clients discover from
    /v1/model/info (and that the gateway's guard lets through, files/llm_capabilities.py)."""
    caps = entry_capabilities(entry)
    info: dict[str, Any] = {"id": deployment_id, "mode": "embedding" if "embedding" in caps else "chat"}
    if info["mode"] == "chat":
        info["supports_function_calling"] = "tools" in caps
        info["supports_tool_choice"] = "tools" in caps
        info["supports_response_schema"] = "structured_output" in caps
    return info


def litellm_deployments(
    hostvars: Mapping[str, Mapping[str, Any]],
    hosts: list[str],
    catalog: list[Mapping[str, Any]],
    registry: Mapping[str, Mapping[str, Any]],
    gateway: str,
) -> list[dict[str, Any]]:
    """The deployments of ``gateway``: dicts with ``entry`` (the model_list item), ``host``,
    ``backend``, ``key_env`` (the env var holding its key, or ''), ``key_file`` (external keys) and
    ``capabilities`` (what the guard lets through to it: guard_capabilities)."""
    check_catalog(catalog, registry)
    out: list[dict[str, Any]] = []
    for host in hosts:
        hv = hostvars[host]
        backend = hv.get("llm_backend", "")
        spec = registry.get(backend)
        if not spec or not spec.get("role"):
            raise AnsibleFilterError(
                f"{host}: llm_backend must name a deployable backend of the registry "
                f"({', '.join(k for k, v in sorted(registry.items()) if v.get('role'))}), got {backend!r}"
            )
        role = spec["role"]
        address = str(_host_setting(hv, role, "host", "127.0.0.1"))
        port = int(_host_setting(hv, role, "port", spec["port"]))
        if LOOPBACK.match(address) and host != gateway:
            raise AnsibleFilterError(
                f"{host}: {role}_host is {address}, a loopback address, but the gateway {gateway} is another "
                f"host: a backend on another host than the gateway must not bind loopback (set {role}_host "
                "to its private address)"
            )
        keyed = spec["auth"] == "api_key" and bool(_host_setting(hv, role, "api_key_enabled", True))
        key_env = _env_name("LLM_BACKEND_KEY_", host) if keyed else ""
        for model in catalog:
            if model["backend"] != backend:
                continue
            served = model["ollama"] if backend == "ollama" and "gguf" not in model else model["name"]
            params: dict[str, Any] = {
                "model": f"{spec['litellm_provider']}/{served}",
                "api_base": spec["api_base"].format(host=address, port=entry_port(model, port)),
            }
            if key_env:
                params["api_key"] = f"os.environ/{key_env}"
            params.update(_cost_params(model))
            out.append(
                {
                    "host": host,
                    "backend": backend,
                    "key_env": key_env,
                    "key_file": "",
                    "capabilities": guard_capabilities(model, spec),
                    "entry": {
                        "model_name": model["name"],
                        "litellm_params": params,
                        "model_info": _model_info(model, f"{host}/{model['name']}"),
                    },
                }
            )
    for model in catalog:
        spec = registry[model["backend"]]
        if spec.get("role"):
            continue
        endpoint = model["endpoint"]
        key_file = endpoint.get("api_key_file", "")
        key_env = _env_name("LLM_ENDPOINT_KEY_", model["name"]) if key_file else ""
        params = {
            "model": f"{spec['litellm_provider']}/{endpoint.get('model', model['name'])}",
            "api_base": str(endpoint["base_url"]).rstrip("/"),
            "timeout": endpoint.get("timeout", 60),
        }
        if key_env:
            params["api_key"] = f"os.environ/{key_env}"
        params.update(_cost_params(model))
        out.append(
            {
                "host": "",
                "backend": model["backend"],
                "key_env": key_env,
                "key_file": key_file,
                "capabilities": guard_capabilities(model, spec),
                "entry": {
                    "model_name": model["name"],
                    "litellm_params": params,
                    "model_info": _model_info(model, f"{model['backend']}/{model['name']}"),
                },
            }
        )
    if not out:
        raise AnsibleFilterError(
            "litellm: no deployments. Every catalog entry (llm_models) needs a host of the backends group "
            "whose llm_backend matches its backend, or an openai_compatible entry with an endpoint"
        )
    return out


def litellm_fallbacks(
    catalog: list[Mapping[str, Any]], extra: list[Any] | None = None
) -> list[dict[str, list[str]]]:
    """LiteLLM router fallbacks: a catalog entry's ``fallbacks`` (names tried in order when every
    deployment of the entry's name fails), merged per name, then ``extra`` (litellm_fallbacks)."""
    merged: dict[str, list[str]] = {}
    for entry in catalog:
        for name in entry.get("fallbacks", []):
            targets = merged.setdefault(entry["name"], [])
            if name not in targets:
                targets.append(name)
    return [{name: targets} for name, targets in merged.items()] + list(extra or [])


def litellm_capabilities(deployments: list[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Model name -> what every deployment of that name can do (the intersection: a request is let
    through only when whichever deployment the router picks serves it). The guard's data."""
    out: dict[str, list[str]] = {}
    for deployment in deployments:
        caps = list(deployment["capabilities"])
        name = deployment["entry"]["model_name"]
        out[name] = [c for c in out[name] if c in caps] if name in out else caps
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "litellm_deployments": litellm_deployments,
            "litellm_fallbacks": litellm_fallbacks,
            "litellm_capabilities": litellm_capabilities,
            "llm_entry_capabilities": entry_capabilities,
        }
