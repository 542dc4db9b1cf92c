"""The declared virtual keys' secret files and secrets
(roles/litellm/filter_plugins/litellm_key_secrets.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import load_file_module

plugin = load_file_module("roles/litellm/filter_plugins/litellm_key_secrets.py")
KEYS = [{"alias": "search-prod", "models": ["m"]}, {"alias": "chat.v2", "rpm_limit": 5}]


def test_paths_are_one_file_per_alias_under_the_secrets_dir() -> None:
    assert plugin.litellm_key_secret_paths(KEYS, "/inv/.secrets/") == [
        "/inv/.secrets/litellm_keys/search-prod",
        "/inv/.secrets/litellm_keys/chat.v2",
    ]
    assert plugin.litellm_key_secret_paths([], "/s") == []


def test_keys_get_their_secret_with_the_sk_prefix_once() -> None:
    keys = plugin.litellm_keys_with_secrets(KEYS, ["abc123", "sk-given\n"])
    assert [k["secret"] for k in keys] == ["sk-abc123", "sk-given"]
    assert keys[0]["models"] == ["m"]
    assert "secret" not in KEYS[0]  # the inventory's entries are not modified


@pytest.mark.parametrize("alias", ["", "../etc", "a/b", ".hidden", "x" * 65, None])
def test_an_alias_that_is_not_a_safe_file_name_is_refused_naming_the_entry(alias) -> None:
    with pytest.raises(AnsibleFilterError, match=r"litellm_keys\[1\]: alias must be"):
        plugin.litellm_key_secret_paths([{"alias": "ok"}, {"alias": alias}], "/s")


def test_an_alias_declared_twice_is_refused() -> None:
    with pytest.raises(AnsibleFilterError, match=r"litellm_keys\[1\]: alias 'a' is declared twice"):
        plugin.litellm_key_secret_paths([{"alias": "a"}, {"alias": "a"}], "/s")


def test_a_secret_in_the_inventory_is_refused_with_where_it_goes() -> None:
    with pytest.raises(AnsibleFilterError, match=r"litellm_keys/a\); to set one, write it to that file"):
        plugin.litellm_keys_with_secrets([{"alias": "a", "secret": "sk-x"}], ["s"])


def test_a_missing_secret_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError, match="2 keys but 1 secrets"):
        plugin.litellm_keys_with_secrets(KEYS, ["s"])
