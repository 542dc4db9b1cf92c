"""Where each declared virtual key's secret is kept on the controller, and the keys with their secrets.

The role generates each secret once with the password lookup (<secrets dir>/litellm_keys/<alias>,
0600) and hands the keys with their secrets to the litellm_access module. Kept in Python so that the
rules (aliases that are safe file names, no alias twice) are unit-tested directly
(tests/unit/test_litellm_key_secrets.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - the unit tests import this file without Ansible too

    class AnsibleFilterError(Exception):  # type: ignore[no-redef]
        pass


ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PREFIX = "sk-"


def _aliases(keys: Sequence[Mapping[str, Any]]) -> list[str]:
    aliases: list[str] = []
    for i, key in enumerate(keys):
        alias = key.get("alias") if isinstance(key, Mapping) else None
        alias = alias if isinstance(alias, str) else ""
        if not ALIAS.match(alias):
            raise AnsibleFilterError(
                f"litellm_keys[{i}]: alias must be 1-64 letters, digits, '.', '_' or '-', starting with a"
                f" letter or digit (it names the secret's file); got {alias!r}"
            )
        if alias in aliases:
            raise AnsibleFilterError(f"litellm_keys[{i}]: alias {alias!r} is declared twice")
        aliases.append(alias)
    return aliases


def litellm_key_secret_paths(keys: Sequence[Mapping[str, Any]], secrets_dir: str) -> list[str]:
    """<secrets_dir>/litellm_keys/<alias> for each declared key, in order."""
    return [f"{secrets_dir.rstrip('/')}/litellm_keys/{alias}" for alias in _aliases(keys)]


def litellm_keys_with_secrets(
    keys: Sequence[Mapping[str, Any]], secrets: Sequence[str]
) -> list[dict[str, Any]]:
    """Each key with `secret`: "sk-" + its generated secret (the same order as the paths)."""
    _aliases(keys)
    if len(secrets) != len(keys):
        raise AnsibleFilterError(f"litellm_keys: {len(keys)} keys but {len(secrets)} secrets")
    out = []
    for key, secret in zip(keys, secrets, strict=True):
        if "secret" in key:
            raise AnsibleFilterError(
                f"litellm_keys: {key['alias']}: secret is generated (<secrets dir>/litellm_keys/"
                f"{key['alias']}); to set one, write it to that file"
            )
        value = str(secret).strip()
        out.append({**key, "secret": value if value.startswith(PREFIX) else PREFIX + value})
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "litellm_key_secret_paths": litellm_key_secret_paths,
            "litellm_keys_with_secrets": litellm_keys_with_secrets,
        }
