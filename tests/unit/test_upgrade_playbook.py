"""playbooks/upgrade.yml's order is what keeps a rolling upgrade and a key rotation from refusing a
request (tests/ha/test_upgrade.py proves it under load; this pins the order it relies on)."""

import yaml

from tests.conftest import ROOT


def _plays(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "playbooks" / name).read_text())


def test_hosts_go_one_at_a_time_and_the_rotation_brackets_the_gateways():
    plays = _plays("upgrade.yml")
    order = [(p.get("hosts") or p["ansible.builtin.import_playbook"], p.get("serial")) for p in plays]
    rolling = _plays("plays/backends_rolling.yml")[0]
    assert rolling["serial"] == 1
    assert order == [
        ("llm_backends", None),  # new keys generated, the old ones kept
        ("llm_gateway", None),  # each gateway's probe published
        ("plays/backends_rolling.yml", None),  # backends accept both keys
        ("plays/state.yml", None),
        ("llm_ingress", 1),
        ("llm_gateway", 1),  # drained, switched to the new keys, put back
        ("plays/monitoring.yml", None),  # the monitoring hosts get the new keys before the old go
        ("llm_backends", None),  # old keys deleted
        ("plays/backends_rolling.yml", None),  # backends accept the new keys alone
    ]
    gateways = plays[5]
    drain, back = gateways["pre_tasks"][0], gateways["post_tasks"][0]
    assert drain["vars"]["llm_ingress_upstream_state"] == "drain"
    assert back["vars"]["llm_ingress_upstream_state"] == "ready"
    rotating = "llm_rotate_backend_keys | default(false) | bool"
    assert plays[8]["when"] == plays[0]["tasks"][0]["when"] == rotating
