"""The backend registry is the one description of a backend: everything that names backends agrees
with it (site.yml dispatches through it; these are the places that cannot read it)."""

from __future__ import annotations

import re

import yaml

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
    "litellm_provider",
    "api_base",
    "model_sources",
    "compose_profile",
}


def test_every_entry_follows_the_contract():
    for name, spec in registry().items():
        assert set(spec) == KEYS, name
        assert spec["auth"] in {"api_key", "none", "endpoint"}, name
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
    molecule_roles = re.search(r"^MOLECULE_ROLES := (.*)$", makefile, re.M)[1].split()
    assert set(deployable()) <= set(molecule_roles)


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
    """Dispatch is data: a new backend needs no edit of site.yml."""
    site = (ROOT / "playbooks" / "site.yml").read_text()
    for name in registry():
        assert name not in site, name
