"""Role READMEs, argument_specs and defaults cannot drift: the variable tables are generated from
argument_specs (`llm-onprem docs`), and the two files agree on every literal default."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_onprem import role_docs
from tests.conftest import ROOT

ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())


def test_every_readme_table_is_generated_from_argument_specs():
    assert role_docs.update(ROOT / "roles", check=True) == [], "run `llm-onprem docs` and commit the READMEs"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_and_defaults_agree(role: Path):
    assert role_docs.disagreements(role) == []


def test_a_drifted_default_is_reported(tmp_path):
    role = tmp_path / "demo"
    (role / "meta").mkdir(parents=True)
    (role / "defaults").mkdir()
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n"
        "      demo_port: {type: int, default: 80, description: port}\n"
    )
    (role / "defaults" / "main.yml").write_text("demo_port: 8080\ndemo_extra: 1\n")
    problems = role_docs.disagreements(role)
    assert "demo: demo_port defaults to 8080 in defaults/main.yml, 80 in argument_specs" in problems
    assert "demo: demo_extra is in defaults/main.yml but not in argument_specs" in problems
    readme = role_docs.render("# demo\n", role_docs.table(role))
    assert "| `demo_port` | int | `8080` | port |" in readme
