"""What the monitoring host scrapes and probes, from the inventory and the backend registry
(role llm_monitoring): Prometheus scrape configs and the synthetic probe's targets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

NODE_EXPORTER_PORT = 9100
DCGM_EXPORTER_PORT = 9400
LITELLM_PORT = 4000


def _address(host: str, hostvars: Mapping[str, Any]) -> str:
    address = hostvars.get(host, {}).get("ansible_facts", {}).get("default_ipv4", {}).get("address")
    if not address:
        raise AnsibleFilterError(
            f"llm_monitoring: no address facts for {host}: gather its facts in this run "
            "(the role does, for every host it scrapes)"
        )
    return str(address)


def _slug(host: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", host)


def _job(
    name: str, job: str, host: str, target: str, labels: Mapping[str, str], **extra: Any
) -> dict[str, Any]:
    # One scrape config per target (each may carry its own credential); the `job` label groups them
    # (a target label overrides the job_name default) and `instance` is the inventory name.
    return {
        "job_name": name,
        **extra,
        "static_configs": [{"targets": [target], "labels": {"job": job, "instance": host, **labels}}],
    }


def _backend(
    host: str, hostvars: Mapping[str, Any], registry: Mapping[str, Mapping[str, Any]]
) -> tuple[str, Mapping[str, Any], int]:
    variables = hostvars.get(host, {})
    kind = str(variables.get("llm_backend"))
    entry = registry.get(kind)
    if entry is None or not entry.get("role"):
        raise AnsibleFilterError(
            f"llm_monitoring: {host} has llm_backend {kind!r}, not a deployable backend of "
            f"llm_registry_backends ({', '.join(sorted(k for k, v in registry.items() if v.get('role')))})"
        )
    return kind, entry, int(variables.get(f"{entry['role']}_port", entry["port"]))


def _instances(
    kind: str, entry: Mapping[str, Any], port: int, catalog: Iterable[Mapping[str, Any]]
) -> list[tuple[str, int]]:
    """(model name or '' for the host's one service, port) of each service a backend host runs: one
    per catalog entry for a backend with one service per model (an entry's own `port`, else the
    role's), else the one service at the role's port."""
    if entry.get("instances") != "per_model":
        return [("", port)]
    models = [m for m in catalog if m.get("backend") == kind]
    return [(str(m["name"]), int(m.get("port") or port)) for m in models] or [("", port)]


def llm_monitoring_scrape_configs(
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
    registry: Mapping[str, Mapping[str, Any]],
    credentials_dir: str,
    backends_group: str = "llm_backends",
    gateways_group: str = "llm_gateway",
    gpu_group: str = "nvidia_gpu",
    node_port: int = NODE_EXPORTER_PORT,
    dcgm_port: int = DCGM_EXPORTER_PORT,
    catalog: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """One scrape config per target:
    - `node`: the node exporter on every host of the inventory;
    - `<backend kind>`: each backend host whose registry entry has a metrics_path, at its role's port
      (the host's `<role>_port`, else the registry's), with the backend's key as a credentials file
      (`<credentials_dir>/<host>.key`, copied by the role) when the entry's auth is api_key; a
      backend with one service per model (llama.cpp) has a target per model of the catalog, the
      first at the role's port and the others at their own (job `<kind>:<host>:<model>`, label `model`);
    - `litellm`: LiteLLM on each gateway at `/metrics/` (open without a key on the gateway's private
      address, which its firewall opens to the ingress and monitoring hosts only);
    - `dcgm`: NVIDIA's DCGM exporter on each host of the GPU group."""
    every = sorted({h for name, hosts in groups.items() if name != "all" for h in hosts})
    out: list[dict[str, Any]] = []
    for host in every:
        out.append(
            _job(f"node:{_slug(host)}", "node", host, f"{_address(host, hostvars)}:{int(node_port)}", {})
        )
    for host in sorted(groups.get(backends_group, [])):
        kind, entry, port = _backend(host, hostvars, registry)
        if not entry.get("metrics_path"):
            continue
        extra: dict[str, Any] = {"metrics_path": entry["metrics_path"]}
        if entry.get("auth") == "api_key":
            extra["authorization"] = {"credentials_file": f"{credentials_dir}/{_slug(host)}.key"}
        for index, (model, model_port) in enumerate(_instances(kind, entry, port, catalog)):
            out.append(
                _job(
                    f"{kind}:{_slug(host)}" + (f":{_slug(model)}" if index else ""),
                    kind,
                    host,
                    f"{_address(host, hostvars)}:{model_port}",
                    {"backend": kind} | ({"model": model} if model else {}),
                    **extra,
                )
            )
    for host in sorted(groups.get(gateways_group, [])):
        port = int(hostvars.get(host, {}).get("litellm_port", LITELLM_PORT))
        out.append(
            _job(
                f"litellm:{_slug(host)}",
                "litellm",
                host,
                f"{_address(host, hostvars)}:{port}",
                {},
                metrics_path="/metrics/",
            )
        )
    for host in sorted(groups.get(gpu_group, [])):
        out.append(
            _job(f"dcgm:{_slug(host)}", "dcgm", host, f"{_address(host, hostvars)}:{int(dcgm_port)}", {})
        )
    return out


def llm_monitoring_backend_keys(
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
    registry: Mapping[str, Mapping[str, Any]],
    backends_group: str = "llm_backends",
) -> list[dict[str, str]]:
    """The backend hosts whose backend requires a key: [{host, slug, role}] (the role copies
    `<secrets dir>/<host>/backend_api_key` to `<keys dir>/<slug>.key`)."""
    out = []
    for host in sorted(groups.get(backends_group, [])):
        _kind, entry, _port = _backend(host, hostvars, registry)
        if entry.get("auth") == "api_key" and hostvars.get(host, {}).get(
            f"{entry['role']}_api_key_enabled", True
        ):
            out.append({"host": host, "slug": _slug(host), "role": str(entry["role"])})
    return out


def llm_monitoring_probe_targets(
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
    registry: Mapping[str, Mapping[str, Any]],
    catalog: Iterable[Mapping[str, Any]],
    credentials_dir: str,
    backends_group: str = "llm_backends",
) -> list[dict[str, Any]]:
    """A probe target per (backend host, chat entry of the catalog it serves): its OpenAI-compatible
    base URL (every deployed backend kind answers /v1/chat/completions, Ollama included; an entry
    with its own `port` at that port), the name the backend serves the model under, and its key file
    when the backend requires one. Embedding models are not probed (the probe sends a completion)."""
    keyed = {k["host"] for k in llm_monitoring_backend_keys(groups, hostvars, registry, backends_group)}
    out = []
    for host in sorted(groups.get(backends_group, [])):
        kind, entry, port = _backend(host, hostvars, registry)
        for model in catalog:
            if model.get("backend") != kind or "chat" not in (model.get("capabilities") or ["chat"]):
                continue
            own = entry.get("instances") == "per_model" and model.get("port")
            model_port = int(model["port"]) if own else port
            served = model["ollama"] if kind == "ollama" and "gguf" not in model else model["name"]
            target: dict[str, Any] = {
                "name": f"{host}/{model['name']}",
                "kind": kind,
                "url": f"http://{_address(host, hostvars)}:{model_port}/v1",
                "model": served,
            }
            if host in keyed:
                target["key_file"] = f"{credentials_dir}/{_slug(host)}.key"
            out.append(target)
    return out


def llm_monitoring_gateway_url(
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
    ingress_group: str = "llm_ingress",
    gateways_group: str = "llm_gateway",
) -> str:
    """The endpoint's URL as clients call it: https://<the first ingress host's virtual address, else
    its address>:<its llm_ingress_port, 443>/v1; without ingress hosts the first gateway's; '' when the
    inventory has neither."""
    front = list(groups.get(ingress_group, [])) or list(groups.get(gateways_group, []))
    if not front:
        return ""
    variables = hostvars.get(front[0], {})
    address = str(variables.get("llm_ingress_vip_address") or "").strip() or _address(front[0], hostvars)
    return f"https://{address}:{int(variables.get('llm_ingress_port', 443))}/v1"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "llm_monitoring_scrape_configs": llm_monitoring_scrape_configs,
            "llm_monitoring_backend_keys": llm_monitoring_backend_keys,
            "llm_monitoring_probe_targets": llm_monitoring_probe_targets,
            "llm_monitoring_gateway_url": llm_monitoring_gateway_url,
        }
