"""The alert rules (roles/llm_monitoring/templates/rules.yml.j2, rendered with the role's defaults)
pass `promtool check rules` and every rule has a `promtool test rules` case that fires it
(tests/unit/data/alert_rules_test.yml). promtool comes from Debian's `prometheus` package (.ci/run
installs it)."""

from __future__ import annotations

import shutil
import subprocess

import jinja2
import pytest
import yaml

from tests.conftest import ROOT

ROLE = ROOT / "roles/llm_monitoring"
CASES = ROOT / "tests/unit/data/alert_rules_test.yml"


def without_annotations(text: str) -> str:
    rules = yaml.safe_load(text)
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return yaml.safe_dump(rules, sort_keys=False)


def render(**overrides) -> str:
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    source = (ROLE / "templates/rules.yml.j2").read_text()
    # The template's first line sets Ansible's delimiters to [[ ]] (Prometheus owns {{ }}).
    env = jinja2.Environment(
        variable_start_string="[[", variable_end_string="]]", undefined=jinja2.StrictUndefined
    )
    return env.from_string(source.split("\n", 1)[1]).render(**{**defaults, **overrides})


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is required (Debian's prometheus package; .ci/run installs it)")
    return path


def test_rules_pass_promtool_check_and_every_case(promtool, tmp_path):
    (tmp_path / "full.yml").write_text(render())
    check = subprocess.run(
        [promtool, "check", "rules", "full.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    (tmp_path / "rules.yml").write_text(without_annotations(render()))
    (tmp_path / "tests.yml").write_text(CASES.read_text())
    test = subprocess.run(
        [promtool, "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert test.returncode == 0, test.stdout + test.stderr


def test_every_rule_has_a_case_that_fires_it():
    rules = yaml.safe_load(render())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    cases = yaml.safe_load(CASES.read_text())
    fired = {
        check["alertname"]
        for test in cases["tests"]
        for check in test["alert_rule_test"]
        if check.get("exp_alerts")
    }
    assert alerts == fired


def test_every_rule_has_a_for_window_and_a_runbook():
    rules = yaml.safe_load(render())
    for rule in (r for group in rules["groups"] for r in group["rules"]):
        assert rule.get("for"), rule["alert"]
        assert rule["annotations"].get("runbook"), rule["alert"]
        assert rule["annotations"].get("summary"), rule["alert"]


def test_a_threshold_and_a_window_from_the_variables_reach_the_rules(promtool, tmp_path):
    """Overrides apply: a 1m backend_down window fires the backend-down case at 1.5 min already."""
    text = render(
        llm_monitoring_alert_for={
            **yaml.safe_load((ROLE / "defaults/main.yml").read_text())["llm_monitoring_alert_for"],
            "backend_down": "1m",
        }
    )
    rule = next(
        r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if r["alert"] == "LlmBackendDown"
    )
    assert rule["for"] == "1m"
    (tmp_path / "rules.yml").write_text(without_annotations(text))
    (tmp_path / "t.yml").write_text(
        yaml.safe_dump(
            {
                "rule_files": ["rules.yml"],
                "evaluation_interval": "30s",
                "tests": [
                    {
                        "interval": "30s",
                        "input_series": [{"series": 'up{job="vllm", instance="b"}', "values": "0x10"}],
                        "alert_rule_test": [
                            {
                                "eval_time": "90s",
                                "alertname": "LlmBackendDown",
                                "exp_alerts": [
                                    {"exp_labels": {"severity": "critical", "job": "vllm", "instance": "b"}}
                                ],
                            }
                        ],
                    }
                ],
            }
        )
    )
    result = subprocess.run(
        [promtool, "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
