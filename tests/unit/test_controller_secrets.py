"""Controller secrets stay out of git at any depth, and the summary names key files, never keys."""

import json
import subprocess

from llm_onprem import summary
from tests.conftest import ROOT


def test_secrets_and_state_dirs_are_ignored_at_any_depth():
    paths = [
        "inventories/prod/eu/.secrets/litellm_master_key",
        "inventories/x/.secrets/host-1/backend_api_key",
        "inventories/prod/eu/.secrets/tls/ca.key",
        "terraform/examples/lab/.secrets/k",
        "inventories/prod/eu/.state/verify.json",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.stdout.split() == paths


def _inventory(root, app_keys=()):
    """An inventory dir as `make demo` leaves it: the master key, the given virtual keys' files, the
    verification report."""
    (root / ".secrets" / "litellm_keys").mkdir(parents=True)
    (root / ".secrets" / "litellm_master_key").write_text("Zq8secretvalue0000000000")
    for alias in app_keys:
        (root / ".secrets" / "litellm_keys" / alias).write_text("Yp7appsecret000000000000")
    (root / ".state").mkdir()
    (root / ".state" / "verify.json").write_text(
        json.dumps({"model": "m", "completion": "Paris.", "checks": ["no key -> 401"]})
    )


def test_summary_prints_paths_not_keys(tmp_path, capsys):
    _inventory(tmp_path)
    assert summary.print_summary(str(tmp_path), "https://127.0.0.1:4000") == 0
    out = capsys.readouterr().out
    assert "Zq8secretvalue" not in out
    assert str(tmp_path / ".secrets" / "litellm_master_key") in out
    assert str(tmp_path / ".secrets" / "tls" / "ca.crt") in out
    assert "--cacert" in out
    assert "app key" not in out


def test_summary_in_db_mode_names_the_application_key_file_and_uses_it(tmp_path, capsys):
    _inventory(tmp_path, ["demo-app"])
    key_file = tmp_path / ".secrets" / "litellm_keys" / "demo-app"
    assert summary.print_summary(str(tmp_path), "https://127.0.0.1:4000") == 0
    out = capsys.readouterr().out
    assert "Zq8secretvalue" not in out
    assert "Yp7appsecret" not in out
    assert f"app key     : {key_file}" in out
    assert f"sk-$(cat {key_file})" in out
