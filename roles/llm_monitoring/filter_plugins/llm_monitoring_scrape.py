"""Prometheus scrape configs from the inventory and the backend registry (role llm_monitoring).

Work in progress for issue 18: the role around it does not exist yet."""

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


def _job(name: str, host: str, target: str, labels: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "job_name": name,
        **extra,
        "static_configs": [{"targets": [target], "labels": {"host": host, **labels}}],
    }


def llm_monitoring_scrape_configs(
    groups: Mapping[str, Iterable[str]],
    hostvars: Mapping[str, Any],
    registry: Mapping[str, Mapping[str, Any]],
    credentials_dir: str,
    backends_group: str = "llm_backends",
    gateways_group: str = "llm_gateway",
    gpu: bool = False,
) -> list[dict[str, Any]]:
    """One scrape config per target, so each can carry its own credential file:
    - node exporter on every host of the inventory (job `node`... one per host: `node:<host>`);
    - each backend host whose registry entry has a metrics_path, at its role's port (the host's
      `<role>_port`, else the registry's), with the backend key the gateway uses when the entry's
      auth is api_key (`<credentials_dir>/<host>.key`, written by the role);
    - LiteLLM on each gateway (`/metrics/`, `<credentials_dir>/litellm.key`);
    - NVIDIA's DCGM exporter on each backend host when `gpu` (the site runs GPU tasks).
    A backend host whose llm_backend is not in the registry is an error naming both."""
    every = sorted({h for name, hosts in groups.items() if name != "ungrouped" for h in hosts})
    out: list[dict[str, Any]] = []
    for host in every:
        target = f"{_address(host, hostvars)}:{NODE_EXPORTER_PORT}"
        out.append(_job(f"node:{_slug(host)}", host, target, {"role": "node"}))
    for host in sorted(groups.get(backends_group, [])):
        variables = hostvars.get(host, {})
        kind = variables.get("llm_backend")
        entry = registry.get(str(kind))
        if entry is None:
            raise AnsibleFilterError(
                f"llm_monitoring: {host} has llm_backend {kind!r}, not in llm_registry_backends "
                f"({', '.join(sorted(registry))})"
            )
        address = _address(host, hostvars)
        if entry.get("metrics_path"):
            port = int(variables.get(f"{entry['role']}_port", entry["port"]))
            extra: dict[str, Any] = {"metrics_path": entry["metrics_path"]}
            if entry.get("auth") == "api_key":
                extra["authorization"] = {"credentials_file": f"{credentials_dir}/{_slug(host)}.key"}
            out.append(
                _job(f"{kind}:{_slug(host)}", host, f"{address}:{port}", {"backend": str(kind)}, **extra)
            )
        if gpu:
            out.append(_job(f"dcgm:{_slug(host)}", host, f"{address}:{DCGM_EXPORTER_PORT}", {"role": "gpu"}))
    for host in sorted(groups.get(gateways_group, [])):
        port = int(hostvars.get(host, {}).get("litellm_port", LITELLM_PORT))
        out.append(
            _job(
                f"litellm:{_slug(host)}",
                host,
                f"{_address(host, hostvars)}:{port}",
                {"role": "gateway"},
                metrics_path="/metrics/",
                authorization={"credentials_file": f"{credentials_dir}/litellm.key"},
            )
        )
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_monitoring_scrape_configs": llm_monitoring_scrape_configs}
