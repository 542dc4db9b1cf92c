"""Render the litellm role's config.yaml and litellm.env on the controller for a test inventory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ansible_playbook


def render_gateway(tmp_path: Path, backends: str, catalog: list[dict[str, Any]], *extra: str):
    """Render the config of gateway `gw` with these backend hosts (YAML lines of `name: {vars}`).
    Returns (result, config or None, env dict, config path)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n  children:\n"
        "    llm_backends:\n      hosts:\n"
        + "".join(f"        {line}\n" for line in backends.splitlines())
        + "    llm_gateway:\n      hosts:\n        gw: {}\n"
    )
    render = tmp_path / "render"
    render.mkdir(exist_ok=True)
    result = ansible_playbook(
        "tests/playbooks/model_list.yml",
        "-e",
        "gateway_host=gw",
        "-e",
        f"render_dir={render}",
        "-e",
        f"llm_secrets_dir={tmp_path}/.secrets",
        "-e",
        json.dumps({"llm_models": catalog}),
        *extra,
        inventory=inventory,
        local=True,
    )
    config = yaml.safe_load((render / "config.yaml").read_text()) if result.returncode == 0 else None
    env_text = (render / "litellm.env").read_text() if result.returncode == 0 else ""
    env = dict(line.split("=", 1) for line in env_text.splitlines() if line and not line.startswith("#"))
    return result, config, env, render / "config.yaml"
