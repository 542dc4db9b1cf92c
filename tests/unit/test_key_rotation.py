"""The controller's half of playbooks/upgrade.yml's key rotation (playbooks/tasks/rotate_backend_key.yml),
run by Ansible on the controller: what happens to <secrets>/<host>/backend_api_key and .previous."""

import json

from tests.conftest import ansible_playbook


def _rotate(tmp_path, backend="llama_cpp", **extra):
    return ansible_playbook(
        "tests/playbooks/rotate_key.yml",
        "-e",
        json.dumps({"llm_backend": backend, "llm_secrets_dir": str(tmp_path), **extra}),
        inventory="localhost,",
        local=True,
    )


def _files(tmp_path):
    key = tmp_path / "localhost" / "backend_api_key"
    return key, key.with_name("backend_api_key.previous")


def test_the_key_moves_aside_and_a_new_one_replaces_it_once(tmp_path):
    key, previous = _files(tmp_path)
    key.parent.mkdir()
    key.write_text("OldKeyOfThisBackend0123456789\n")
    result = _rotate(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert previous.read_text().strip() == "OldKeyOfThisBackend0123456789"
    new = key.read_text().strip()
    assert len(new) == 40
    assert new.isalnum()
    assert new != "OldKeyOfThisBackend0123456789"
    assert key.stat().st_mode & 0o777 == previous.stat().st_mode & 0o777 == 0o600
    assert new not in result.stdout
    # Run again (an interrupted rotation): resumed, not rotated a second time.
    assert _rotate(tmp_path).returncode == 0
    assert key.read_text().strip() == new
    assert previous.read_text().strip() == "OldKeyOfThisBackend0123456789"


def test_a_backend_that_accepts_one_key_stops_the_rotation_before_any_change(tmp_path):
    key, previous = _files(tmp_path)
    key.parent.mkdir()
    key.write_text("OldKeyOfThisBackend0123456789\n")
    result = _rotate(tmp_path, backend="vllm")
    assert result.returncode != 0
    assert "accepts one key at a time (llm_registry key_rotation: single)" in " ".join(result.stdout.split())
    assert key.read_text().strip() == "OldKeyOfThisBackend0123456789"
    assert not previous.exists()


def test_a_key_set_in_the_inventory_is_left_to_the_inventory(tmp_path):
    result = _rotate(tmp_path, llama_cpp_api_key="SetByTheSite0123456789")
    assert result.returncode != 0
    assert "its key is set in the inventory (llama_cpp_api_key)" in " ".join(result.stdout.split())
    assert "SetByTheSite0123456789" not in result.stdout


def test_nothing_to_rotate_without_a_key_and_for_a_backend_without_one(tmp_path):
    key, previous = _files(tmp_path)
    assert _rotate(tmp_path).returncode == 0  # never deployed: its role generates its first key
    assert not key.exists()
    assert not previous.exists()
    assert _rotate(tmp_path, backend="ollama").returncode == 0  # no key of its own
    assert not previous.exists()
