"""roles/litellm/library/litellm_access.py: what it plans to create, update, replace and revoke."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import load_file_module

acc = load_file_module("roles/litellm/library/litellm_access.py")
UTC = dt.timezone.utc  # noqa: UP017 (as the module, which runs on Python 3.10 hosts)
SECRET = "sk-app1-0123456789abcdefghijklmnopqrstuvwxyz"


def _team(alias: str, team_id: str, **kw: Any) -> dict[str, Any]:
    return {
        "team_alias": alias,
        "team_id": team_id,
        "models": [],
        "metadata": {"managed_by": "llm-onprem"},
        **kw,
    }


def _key(alias: str, secret: str = SECRET, **kw: Any) -> dict[str, Any]:
    return {
        "key_alias": alias,
        "token": acc.token_of(secret),
        "models": [],
        "metadata": {"managed_by": "llm-onprem"},
        **kw,
    }


def test_teams_are_created_updated_kept_and_only_managed_ones_revoked() -> None:
    declared = [
        {"alias": "new"},
        {"alias": "same", "models": ["b", "a"], "rpm_limit": 10},
        {"alias": "changed", "tpm_limit": 5},
    ]
    existing = [
        _team("same", "t1", models=["a", "b"], rpm_limit=10, extra_litellm_field=1),
        _team("changed", "t2", tpm_limit=6),
        _team("gone", "t3"),
        {"team_alias": "by-hand", "team_id": "t4", "metadata": {}},
    ]
    plan = acc.plan_teams(declared, existing, "llm-onprem")
    assert [d["alias"] for d in plan["create"]] == ["new"]
    assert [d["alias"] for d, _ in plan["keep"]] == ["same"]
    assert [d["alias"] for d, _ in plan["update"]] == ["changed"]
    assert [t["team_id"] for t in plan["delete"]] == ["t3"], "a team made by hand is never touched"


def test_declared_metadata_is_compared_but_litellm_own_metadata_is_ignored() -> None:
    declared = [{"alias": "a", "metadata": {"owner": "x"}}]
    existing = [_team("a", "t1", metadata={"managed_by": "llm-onprem", "owner": "x", "litellm_added": 1})]
    assert acc.plan_teams(declared, existing, "llm-onprem")["keep"]
    existing[0]["metadata"]["owner"] = "y"
    assert acc.plan_teams(declared, existing, "llm-onprem")["update"]


def test_a_key_whose_secret_changed_is_replaced_not_updated() -> None:
    declared = [{"alias": "app1", "secret": SECRET + "x"}]
    plan = acc.plan_keys(declared, [_key("app1")], {}, "llm-onprem")
    assert [d["alias"] for d, _ in plan["replace"]] == ["app1"]
    assert plan["update"] == []
    assert plan["keep"] == []


def test_key_team_limits_and_expiry_changes_are_updates() -> None:
    when = "2027-01-31T00:00:00Z"
    base = {"alias": "app1", "secret": SECRET, "team": "ta", "rpm_limit": 3, "expires": when}
    stored = _key("app1", team_id="T-A", rpm_limit=3, expires="2027-01-31T00:00:00.143000+00:00")
    ids = {"ta": "T-A", "tb": "T-B"}
    assert acc.plan_keys([base], [stored], ids, "llm-onprem")["keep"], (
        "an expiry within two minutes is the same"
    )
    for change in ({"team": "tb"}, {"rpm_limit": 4}, {"expires": "2027-02-01"}, {"models": ["m"]}):
        plan = acc.plan_keys([{**base, **change}], [stored], ids, "llm-onprem")
        assert [d["alias"] for d, _ in plan["update"]] == ["app1"], change


def test_taking_an_expiry_away_replaces_the_key() -> None:
    stored = _key("app1", expires="2027-01-31T00:00:00+00:00")
    plan = acc.plan_keys([{"alias": "app1", "secret": SECRET}], [stored], {}, "llm-onprem")
    assert plan["replace"], "LiteLLM's /key/update cannot clear an expiry"


def test_undeclared_managed_keys_are_revoked_and_others_kept() -> None:
    existing = [
        _key("old"),
        {"key_alias": "by-hand", "token": "t", "metadata": {"owner": "someone"}},
        _key("app1"),
    ]
    plan = acc.plan_keys([{"alias": "app1", "secret": SECRET}], existing, {}, "llm-onprem")
    assert [k["key_alias"] for k in plan["delete"]] == ["old"]


def test_the_key_body_has_the_team_id_an_expiry_as_a_duration_and_the_marker() -> None:
    now = dt.datetime(2027, 1, 1, tzinfo=UTC)
    decl = {"alias": "app1", "secret": SECRET, "team": "ta", "max_budget": 2, "expires": "2027-01-02"}
    body = acc.key_body(decl, {"ta": "T-A"}, "llm-onprem", now)
    assert body["team_id"] == "T-A"
    assert body["duration"] == "86400s"
    assert body["max_budget"] == 2.0
    assert body["metadata"] == {"managed_by": "llm-onprem"}
    assert "secret" not in body
    assert "rpm_limit" not in body
    assert acc.duration_until(now - dt.timedelta(days=1), now) == "0s"


@pytest.mark.parametrize(
    ("teams", "keys", "message"),
    [
        ([{"alias": "a"}, {"alias": "a"}], [], "litellm_teams: aliases must be unique (repeated: a)"),
        ([], [{"alias": "k", "secret": SECRET, "team": "nope"}], "team 'nope' is not in litellm_teams"),
        ([], [{"alias": "k", "secret": "short"}], "secret must be an sk-... string"),
        (
            [],
            [{"alias": "k", "secret": SECRET, "rpm_limit": 0}],
            "rpm_limit must be a positive integer (got 0)",
        ),
        (
            [],
            [{"alias": "k", "secret": SECRET, "expires": "next week"}],
            "expires must be an ISO date or time",
        ),
        ([{"alias": "t", "max_budget": -1}], [], "litellm_teams[0] (t): max_budget must be a number >= 0"),
        ([{}], [], "litellm_teams[0]: alias is required"),
    ],
)
def test_declared_errors_name_the_entry_and_field(
    teams: list[dict[str, Any]], keys: list[dict[str, Any]], message: str
) -> None:
    errors = acc.check_declared(teams, keys)
    assert any(message in e for e in errors), errors


def test_a_valid_declaration_has_no_errors() -> None:
    teams = [{"alias": "ta", "models": ["m"], "rpm_limit": 5, "max_budget": 0}]
    keys = [{"alias": "k", "secret": SECRET, "team": "ta", "tpm_limit": 100, "expires": "2027-01-01"}]
    assert acc.check_declared(teams, keys) == []
