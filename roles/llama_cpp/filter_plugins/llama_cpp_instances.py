"""One llama-server service per model a llama.cpp host serves: its unit name, port, files, sizing
and command line. Kept in Python so that the rules are unit-tested
(tests/unit/test_llama_cpp_instances.py)."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

SIZING = ("ctx_size", "threads", "parallel", "gpu_layers", "extra_args")


def _file_name(source: Mapping[str, Any]) -> str:
    return str(source.get("file") or posixpath.basename(urlsplit(str(source.get("url", ""))).path))


def llama_cpp_instances(models: list[Mapping[str, Any]], settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`settings`: the role's binary, host, port, service_name, state_dir, api_key_file ('' without a
    key), metrics and the default sizing (ctx_size, threads, parallel, gpu_layers, extra_args).

    The first model is the service `service_name` on its `port` (default the role's); each further one
    `<service_name>-<name>` on its own `port` (the catalog check requires it). An entry's `llama_cpp`
    dict overrides the sizing; `capabilities` adds --embeddings (embedding) or --jinja (tools), and
    `chat_template` --chat-template-file."""
    out: list[dict[str, Any]] = []
    for index, model in enumerate(models):
        sizing = {k: settings[k] for k in SIZING} | {
            k: v for k, v in (model.get("llama_cpp") or {}).items() if k in SIZING
        }
        caps = model.get("capabilities") or ["chat"]
        slug = re.sub(r"[^A-Za-z0-9_.-]", "-", str(model["name"]))
        service = settings["service_name"] if index == 0 else f"{settings['service_name']}-{slug}"
        port = int(model.get("port") or settings["port"])
        model_path = f"{settings['state_dir']}/models/{_file_name(model['gguf'])}"
        template = model.get("chat_template")
        template_path = f"{settings['state_dir']}/templates/{slug}.jinja" if template else ""
        args = [
            settings["binary"],
            "--model", model_path,
            "--alias", shlex.quote(str(model["name"])),
            "--host", str(settings["host"]),
            "--port", str(port),
            "--ctx-size", str(sizing["ctx_size"]),
            "--threads", str(sizing["threads"]),
            "--parallel", str(sizing["parallel"]),
            "--n-gpu-layers", str(sizing["gpu_layers"]),
        ]  # fmt: skip
        if settings.get("api_key_file"):
            args += ["--api-key-file", settings["api_key_file"]]
        if settings.get("metrics"):
            args.append("--metrics")
        if "embedding" in caps:
            args.append("--embeddings")
        if "tools" in caps:
            args.append("--jinja")
        if template_path:
            args += ["--chat-template-file", template_path]
        args += [shlex.quote(str(a)) for a in sizing["extra_args"]] + ["--no-webui"]
        out.append(
            {
                "name": str(model["name"]),
                "service": service,
                "port": port,
                "capabilities": caps,
                "gguf": dict(model["gguf"]),
                "model_file": _file_name(model["gguf"]),
                "model_path": model_path,
                "chat_template": dict(template) if template else {},
                "template_path": template_path,
                "ctx_size": int(sizing["ctx_size"]),
                "gpu_layers": int(sizing["gpu_layers"]),
                "exec_start": args,
                # What the memory-fit check reads (llm_registry's memory_fit.yml).
                "fit": {"name": str(model["name"]), "path": model_path, "context": int(sizing["ctx_size"])},
            }
        )
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llama_cpp_instances": llama_cpp_instances}
