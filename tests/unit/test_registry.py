"""The backend registry is the one description of a backend: everything that names backends agrees
with it (site.yml dispatches through it; these are the places that cannot read it)."""

from __future__ import annotations

import re

import yaml

from llm_onprem import hosts
from tests.conftest import ROOT
from tests.support.backends import deployable, registry
from tests.support.compose import PROFILES

KEYS = {
    "role",
    "service",
    "port",
    "readiness_path",
    "metrics_path",
    "auth",
    "key_rotation",
    "litellm_provider",
    "api_base",
    "model_sources",
    "compose_profile",
    "capabilities",
    "instances",
    "tool_choice",
}


def test_every_entry_follows_the_contract():
    for name, spec in registry().items():
        assert set(spec) == KEYS, name
        assert spec["auth"] in {"api_key", "none", "endpoint"}, name
        # A backend with a key of its own says whether a rotation can overlap; others have none.
        assert (spec["key_rotation"] in {"overlap", "single"}) == (spec["auth"] == "api_key"), name
        assert spec["key_rotation"] in {"overlap", "single", None}, name
        assert spec["instances"] in {"per_model", "shared"}, name
        assert "chat" in spec["capabilities"], name
        # A forced tool choice is for a backend that offers tools, and every one of those honours required.
        assert set(spec["tool_choice"]) <= {"required", "named"}, name
        assert ("required" in spec["tool_choice"]) == ("tools" in spec["capabilities"]), name
        if spec["role"]:
            assert (ROOT / "roles" / spec["role"] / "tasks" / "retire.yml").is_file(), name
            assert spec["api_base"].startswith("http://{host}:{port}"), name
            assert spec["readiness_path"].startswith("/"), name


def test_role_defaults_agree_with_the_registry():
    for name in deployable():
        spec = registry()[name]
        defaults = yaml.safe_load((ROOT / "roles" / spec["role"] / "defaults" / "main.yml").read_text())
        assert defaults[f"{spec['role']}_port"] == spec["port"], name
        assert defaults[f"{spec['role']}_service_name"] == spec["service"], name
        assert (f"{spec['role']}_api_key_enabled" in defaults) == (spec["auth"] == "api_key"), name


def test_makefile_runs_e2e_for_every_deployable_backend():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^E2E_BACKENDS := (.*)$", makefile, re.M)[1].split() == deployable()
    # Every deployable backend has a Molecule scenario in the CI matrix and an e2e host OS.
    assert set(deployable()) <= set(hosts.MOLECULE_ROLES)
    assert set(hosts.E2E) == set(deployable())


def test_terraform_validation_lists_the_deployable_backends():
    variables = (ROOT / "terraform" / "examples" / "gpu-cluster" / "variables.tf").read_text()
    block = variables[variables.index('variable "llm_backend"') :]
    listed = re.search(r"contains\(\[([^\]]*)\], var\.llm_backend\)", block)[1]
    assert [s.strip().strip('"') for s in listed.split(",")] == deployable()


def test_compose_profiles_map_through_the_registry():
    assert sorted(PROFILES) == sorted(
        s["compose_profile"] for s in registry().values() if s["compose_profile"]
    )
    for profile in PROFILES:
        assert (ROOT / "compose" / "litellm" / f"{profile}.yaml").is_file()


def test_site_playbook_names_no_backend():
    """Dispatch is data: a new backend needs no edit of site.yml or upgrade.yml."""
    for playbook in ("site.yml", "upgrade.yml", "tasks/backend.yml"):
        text = (ROOT / "playbooks" / playbook).read_text()
        for name in registry():
            assert name not in text, (playbook, name)


SPELLING = {
    # YAML and HCL: `llm_backend: <name>`, `backend = "<name>"`; Python: string values only.
    "yaml": re.compile(r"""\b(?:llm_)?backend["']?\s*[:=]\s*["']?([a-z][a-z0-9_-]*)["']?\s*[,}\n]"""),
    "py": re.compile(r"""["'](?:llm_)?backend["']:\s*["']([a-z][a-z0-9_.-]*)["']"""),
}
# Deliberately wrong values in the tests that check they are refused.
REFUSED_ON_PURPOSE = {"tgi"}


def test_one_spelling_per_backend():
    """Every `llm_backend:` / `backend:` value in the inventories, Terraform, playbooks, roles and tests
    is a registry key (the compose profiles are mapped by the registry's compose_profile)."""
    names = set(registry())
    found: dict[str, set[str]] = {}
    for top in ("inventories", "terraform", "playbooks", "roles", "tests"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in {".yml", ".yaml", ".tftpl", ".tf", ".py"} or ".secrets" in path.parts:
                continue
            pattern = SPELLING["py" if path.suffix == ".py" else "yaml"]
            for value in pattern.findall(path.read_text(errors="replace")):
                found.setdefault(value, set()).add(str(path.relative_to(ROOT)))
    unknown = {v: sorted(p) for v, p in found.items() if v not in names | REFUSED_ON_PURPOSE}
    assert unknown == {}
    assert {"llama_cpp", "ollama", "vllm", "openai_compatible"} <= set(found)
