"""The version a hash-pinned lock pins a distribution at: its ``name==version`` line (extras, a
backslash continuation and PEP 503 name spellings allowed). A role checks it against the version it
was asked for before pip runs, so that a lock of another release is never installed into that
release's virtualenv (rolling back with the current checkout's lock)."""

from __future__ import annotations

import re
from typing import Any

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def llm_lock_pin(text: str, distribution: str) -> str:
    """The version ``text`` pins ``distribution`` at; "" when it pins it nowhere."""
    wanted = _normalize(str(distribution))
    for match in _PIN.finditer(str(text)):
        if _normalize(match.group(1)) == wanted:
            return match.group(2)
    return ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"llm_lock_pin": llm_lock_pin}
