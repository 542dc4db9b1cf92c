"""Versions have one home, the role defaults: tests read them from there."""

from __future__ import annotations

from functools import cache

import yaml

from tests.conftest import ROOT


@cache
def role_default(role: str, variable: str) -> str:
    return str(yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())[variable])
