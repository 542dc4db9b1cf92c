#!/usr/bin/python
"""Reconcile LiteLLM's teams and virtual keys with the ones declared in the inventory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from ansible.module_utils.basic import AnsibleModule

# The module runs on the managed host's Python, 3.10 on Ubuntu 22.04: no datetime.UTC (3.11).
UTC = dt.timezone.utc  # noqa: UP017

DOCUMENTATION = r"""
module: litellm_access
short_description: Reconcile LiteLLM's teams and virtual keys with a declared set
description:
  - Reads the teams and keys of a LiteLLM proxy in DB mode through its management API, then creates,
    updates and deletes so that the teams and keys marked as managed (metadata C(managed_by)) are
    exactly I(teams) and I(keys). Teams and keys made by hand (without the marker) are never touched.
  - A key is matched by its alias. Its secret is given (I(keys[].secret)), never generated here and
    never returned; LiteLLM stores only its sha256, which is compared, so a changed secret replaces
    the key (the old secret stops working).
  - Check mode reports what would change; diff mode shows the managed settings before and after
    (never secrets).
options:
  url: {description: base URL of the proxy (no /v1), type: str, default: "http://127.0.0.1:4000"}
  master_key: {description: the proxy's master key, type: str, required: true, no_log: true}
  teams:
    description: >-
      teams, each with alias and optionally models, rpm_limit, tpm_limit, max_budget,
      budget_duration, metadata.
    type: list
    elements: dict
    default: []
  keys:
    description: >-
      keys, each with alias, secret and optionally team (a team alias), models, rpm_limit, tpm_limit,
      max_budget, budget_duration, expires (ISO date or time, UTC), metadata.
    type: list
    elements: dict
    default: []
  marker:
    description: metadata value of managed_by that marks what this module owns
    type: str
    default: llm-onprem
  timeout: {description: seconds per API call, type: int, default: 30}
author: llm-onprem
"""

RETURN = r"""
created: {description: "aliases created, as team:<alias> and key:<alias>", type: list, returned: always}
updated: {description: aliases updated, type: list, returned: always}
deleted: {description: aliases deleted (revoked), type: list, returned: always}
"""

LIMITS = ("models", "rpm_limit", "tpm_limit", "max_budget", "budget_duration")
PAGE = 100


def managed(obj: Mapping[str, Any], marker: str) -> bool:
    metadata = obj.get("metadata") or {}
    return isinstance(metadata, dict) and metadata.get("managed_by") == marker


def expires_at(value: Any) -> dt.datetime | None:
    """A declared or stored expiry as an aware UTC datetime (a bare date: its midnight, UTC)."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def desired_settings(item: Mapping[str, Any], marker: str) -> dict[str, Any]:
    """The settings this module manages for one declared team or key, normalised for comparison."""
    out: dict[str, Any] = {
        "models": sorted(item.get("models") or []),
        "rpm_limit": item.get("rpm_limit"),
        "tpm_limit": item.get("tpm_limit"),
        "max_budget": None if item.get("max_budget") is None else float(item["max_budget"]),
        "budget_duration": item.get("budget_duration"),
        "metadata": {**(item.get("metadata") or {}), "managed_by": marker},
    }
    return out


def actual_settings(obj: Mapping[str, Any], declared_metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The same settings as LiteLLM reports them; metadata only for the declared keys (LiteLLM adds more)."""
    metadata = obj.get("metadata") or {}
    return {
        "models": sorted(obj.get("models") or []),
        "rpm_limit": obj.get("rpm_limit"),
        "tpm_limit": obj.get("tpm_limit"),
        "max_budget": None if obj.get("max_budget") is None else float(obj["max_budget"]),
        "budget_duration": obj.get("budget_duration"),
        "metadata": {k: metadata.get(k) for k in declared_metadata},
    }


def token_of(secret: str) -> str:
    """What LiteLLM stores for a key: the sha256 hex of the secret (sk-... keys)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def duration_until(when: dt.datetime, now: dt.datetime) -> str:
    """LiteLLM's `duration` for an absolute expiry: whole seconds from now ("0s" once passed)."""
    return f"{max(0, int((when - now).total_seconds()))}s"


def plan_teams(
    declared: list[Mapping[str, Any]], existing: list[Mapping[str, Any]], marker: str
) -> dict[str, list[Any]]:
    """{"create": [decl], "update": [(decl, team)], "delete": [team], "keep": [(decl, team)]}."""
    by_alias = {t.get("team_alias"): t for t in existing}
    plan: dict[str, list[Any]] = {"create": [], "update": [], "delete": [], "keep": []}
    names = set()
    for decl in declared:
        names.add(decl["alias"])
        team = by_alias.get(decl["alias"])
        want = desired_settings(decl, marker)
        if team is None:
            plan["create"].append(decl)
        elif actual_settings(team, want["metadata"]) != want:
            plan["update"].append((decl, team))
        else:
            plan["keep"].append((decl, team))
    plan["delete"] = [t for t in existing if managed(t, marker) and t.get("team_alias") not in names]
    return plan


def plan_keys(
    declared: list[Mapping[str, Any]],
    existing: list[Mapping[str, Any]],
    team_ids: Mapping[str, str],
    marker: str,
) -> dict[str, list[Any]]:
    """Like plan_teams, plus "replace": [(decl, key)] for a key whose secret changed."""
    by_alias: dict[str, Mapping[str, Any]] = {}
    for key in existing:
        by_alias.setdefault(key.get("key_alias") or "", key)
    plan: dict[str, list[Any]] = {"create": [], "update": [], "replace": [], "delete": [], "keep": []}
    names = set()
    for decl in declared:
        names.add(decl["alias"])
        key = by_alias.get(decl["alias"])
        if key is None:
            plan["create"].append(decl)
            continue
        want_exp, have_exp = expires_at(decl.get("expires")), expires_at(key.get("expires"))
        # A changed secret, or an expiry taken away (LiteLLM's /key/update can only set one): a new key.
        if key.get("token") != token_of(decl["secret"]) or (want_exp is None and have_exp is not None):
            plan["replace"].append((decl, key))
            continue
        want = desired_settings(decl, marker)
        have = actual_settings(key, want["metadata"])
        want_team = team_ids.get(decl["team"]) if decl.get("team") else None
        same_expiry = (want_exp is None and have_exp is None) or (
            want_exp is not None and have_exp is not None and abs((want_exp - have_exp).total_seconds()) < 120
        )
        if have != want or key.get("team_id") != want_team or not same_expiry:
            plan["update"].append((decl, key))
        else:
            plan["keep"].append((decl, key))
    plan["delete"] = [k for k in existing if managed(k, marker) and (k.get("key_alias") or "") not in names]
    return plan


def team_body(decl: Mapping[str, Any], marker: str) -> dict[str, Any]:
    body = {"team_alias": decl["alias"], **desired_settings(decl, marker)}
    return {k: v for k, v in body.items() if v is not None}


def key_body(
    decl: Mapping[str, Any], team_ids: Mapping[str, str], marker: str, now: dt.datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {"key_alias": decl["alias"], **desired_settings(decl, marker)}
    if decl.get("team"):
        body["team_id"] = team_ids[decl["team"]]
    when = expires_at(decl.get("expires"))
    if when is not None:
        body["duration"] = duration_until(when, now)
    return {k: v for k, v in body.items() if v is not None}


def check_declared(teams: list[Mapping[str, Any]], keys: list[Mapping[str, Any]]) -> list[str]:
    """Errors in the declared set, each naming the entry and the field."""
    errors = []
    team_aliases = [t.get("alias") for t in teams]
    key_aliases = [k.get("alias") for k in keys]
    for kind, aliases in (("litellm_teams", team_aliases), ("litellm_keys", key_aliases)):
        for i, alias in enumerate(aliases):
            if not alias or not isinstance(alias, str):
                errors.append(f"{kind}[{i}]: alias is required (a non-empty string)")
        dupes = sorted({a for a in aliases if a and aliases.count(a) > 1})
        if dupes:
            errors.append(f"{kind}: aliases must be unique (repeated: {', '.join(dupes)})")
    for i, item in enumerate([*teams, *keys]):
        kind = "litellm_teams" if i < len(teams) else "litellm_keys"
        j = i if i < len(teams) else i - len(teams)
        for limit in ("rpm_limit", "tpm_limit"):
            value = item.get(limit)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                errors.append(
                    f"{kind}[{j}] ({item.get('alias')}): {limit} must be a positive integer (got {value!r})"
                )
        budget = item.get("max_budget")
        if budget is not None and (
            not isinstance(budget, (int, float)) or isinstance(budget, bool) or budget < 0
        ):
            errors.append(
                f"{kind}[{j}] ({item.get('alias')}): max_budget must be a number >= 0 (got {budget!r})"
            )
        if item.get("models") is not None and not isinstance(item.get("models"), list):
            errors.append(f"{kind}[{j}] ({item.get('alias')}): models must be a list of model names")
    for j, key in enumerate(keys):
        if key.get("team") and key["team"] not in team_aliases:
            errors.append(
                f"litellm_keys[{j}] ({key.get('alias')}): team {key['team']!r} is not in litellm_teams"
            )
        secret = key.get("secret")
        if not isinstance(secret, str) or not secret.startswith("sk-") or len(secret) < 20:
            errors.append(
                f"litellm_keys[{j}] ({key.get('alias')}): secret must be an sk-... string of 20+ characters"
            )
        try:
            expires_at(key.get("expires"))
        except ValueError:
            errors.append(f"litellm_keys[{j}] ({key.get('alias')}): expires must be an ISO date or time")
    return errors


class Api:
    def __init__(self, url: str, master_key: str, timeout: int) -> None:
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {master_key}", "Content-Type": "application/json"}
        self.timeout = timeout

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:500]
            raise RuntimeError(f"{method} {path}: HTTP {e.code}: {detail}") from None
        except urllib.error.URLError as e:
            raise RuntimeError(f"{method} {path}: {e.reason} (is the proxy at {self.url} running?)") from None

    def teams(self) -> list[dict[str, Any]]:
        out = self.call("GET", "/team/list")
        return out if isinstance(out, list) else out.get("teams", [])

    def keys(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = []
        page = 1
        while True:
            out = self.call("GET", f"/key/list?return_full_object=true&size={PAGE}&page={page}")
            keys += out.get("keys", [])
            if page >= int(out.get("total_pages") or 1):
                return keys
            page += 1


def reconcile(
    api: Api,
    teams: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    marker: str,
    apply: bool,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC),
) -> dict[str, Any]:
    created: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    tplan = plan_teams(teams, api.teams(), marker)
    team_ids = {decl["alias"]: team["team_id"] for decl, team in tplan["keep"] + tplan["update"]}
    for decl in tplan["create"]:
        created.append(f"team:{decl['alias']}")
        after[f"team:{decl['alias']}"] = desired_settings(decl, marker)
        if apply:
            team_ids[decl["alias"]] = api.call("POST", "/team/new", team_body(decl, marker))["team_id"]
        else:
            team_ids[decl["alias"]] = f"(new team {decl['alias']})"
    for decl, team in tplan["update"]:
        want = desired_settings(decl, marker)
        updated.append(f"team:{decl['alias']}")
        before[f"team:{decl['alias']}"] = actual_settings(team, want["metadata"])
        after[f"team:{decl['alias']}"] = want
        if apply:
            api.call("POST", "/team/update", {"team_id": team["team_id"], **team_body(decl, marker)})

    kplan = plan_keys(keys, api.keys(), team_ids, marker)
    for decl in kplan["create"] + [d for d, _ in kplan["replace"]]:
        name = f"key:{decl['alias']}"
        (created if decl in kplan["create"] else updated).append(name)
        after[name] = {
            **desired_settings(decl, marker),
            "team": decl.get("team"),
            "expires": decl.get("expires"),
        }
    for decl, key in kplan["replace"]:
        before[f"key:{decl['alias']}"] = {"secret": "(another secret)", "expires": key.get("expires")}
        after[f"key:{decl['alias']}"]["secret"] = "(the declared secret)"
    for decl, key in kplan["update"]:
        want = desired_settings(decl, marker)
        name = f"key:{decl['alias']}"
        updated.append(name)
        before[name] = {
            **actual_settings(key, want["metadata"]),
            "team_id": key.get("team_id"),
            "expires": key.get("expires"),
        }
        after[name] = {**want, "team": decl.get("team"), "expires": decl.get("expires")}
    for key in kplan["delete"]:
        deleted.append(f"key:{key.get('key_alias')}")
        before[f"key:{key.get('key_alias')}"] = "present"
    for team in tplan["delete"]:
        deleted.append(f"team:{team.get('team_alias')}")
        before[f"team:{team.get('team_alias')}"] = "present"

    if apply:
        stamp = now()
        for _, key in kplan["replace"]:
            api.call("POST", "/key/delete", {"keys": [key["token"]]})
        for decl in kplan["create"] + [d for d, _ in kplan["replace"]]:
            api.call(
                "POST", "/key/generate", {"key": decl["secret"], **key_body(decl, team_ids, marker, stamp)}
            )
        for decl, key in kplan["update"]:
            api.call("POST", "/key/update", {"key": key["token"], **key_body(decl, team_ids, marker, stamp)})
        if kplan["delete"]:
            api.call("POST", "/key/delete", {"keys": [k["token"] for k in kplan["delete"]]})
        if tplan["delete"]:
            api.call("POST", "/team/delete", {"team_ids": [t["team_id"] for t in tplan["delete"]]})
    return {
        "changed": bool(created or updated or deleted),
        "created": created,
        "updated": updated,
        "deleted": deleted,
        "diff": {
            "before": json.dumps(before, indent=2, sort_keys=True) + "\n",
            "after": json.dumps(after, indent=2, sort_keys=True) + "\n",
        },
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "default": "http://127.0.0.1:4000"},
            "master_key": {"type": "str", "required": True, "no_log": True},
            "teams": {"type": "list", "elements": "dict", "default": []},
            "keys": {"type": "list", "elements": "dict", "default": [], "no_log": False},
            "marker": {"type": "str", "default": "llm-onprem"},
            "timeout": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    p = module.params
    for key in p["keys"]:
        if key.get("secret"):
            module.no_log_values.add(key["secret"])
    errors = check_declared(p["teams"], p["keys"])
    if errors:
        module.fail_json(msg="litellm_access: " + "; ".join(errors))
    try:
        result = reconcile(
            Api(p["url"], p["master_key"], p["timeout"]),
            p["teams"],
            p["keys"],
            p["marker"],
            apply=not module.check_mode,
        )
    except RuntimeError as e:
        module.fail_json(msg=f"litellm_access: {e}")
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
