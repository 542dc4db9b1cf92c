"""The CPython versions a hash-pinned lock was resolved and staged for: its header's one line
``# python-versions: 3.10 3.11 ...`` (written by make litellm-lock / make vllm-lock, read by
`llm-onprem mirror stage` too). A host whose interpreter is not among them has no wheels to install."""

from __future__ import annotations

import re
from typing import Any

PYTHONS_LINE = re.compile(r"^# python-versions:((?:[ \t]+3\.[0-9]+)+)[ \t]*$", re.MULTILINE)


def llm_lock_pythons(text: str) -> list[str]:
    """The versions the lock's header names; [] when it has no such line."""
    match = PYTHONS_LINE.search(str(text))
    return match.group(1).split() if match else []


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_lock_pythons": llm_lock_pythons}
