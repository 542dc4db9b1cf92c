"""Where the harness keeps what it builds: outside the repository, reused across runs."""

from __future__ import annotations

import os
from pathlib import Path

# The one rule, shared by the Makefile (which exports LLM_ONPREM_CACHE), the scripts, the inventories
# and Molecule's prepare steps: tests/unit/test_versions.py checks that they all spell this default.
DEFAULT_CACHE = "~/.cache/llm-onprem"


def cache_dir() -> Path:
    """$LLM_ONPREM_CACHE, else ~/.cache/llm-onprem."""
    return Path(os.environ.get("LLM_ONPREM_CACHE") or Path(DEFAULT_CACHE).expanduser())


def mirror_dir() -> Path:
    return cache_dir() / "mirror"
