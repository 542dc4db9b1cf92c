"""Where the harness keeps what it builds: outside the repository, reused across runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$LLM_ONPREM_CACHE, else $XDG_CACHE_HOME/llm-onprem, else ~/.cache/llm-onprem."""
    explicit = os.environ.get("LLM_ONPREM_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-onprem"


def mirror_dir() -> Path:
    return cache_dir() / "mirror"
