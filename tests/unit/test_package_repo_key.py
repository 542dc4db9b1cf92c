"""llm_package_repo trusts a repository key only when its primary fingerprint is the pinned one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ansible_playbook


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory) -> tuple[Path, str]:
    """A throwaway ed25519 key, exported armoured; returns (file, fingerprint)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", ""]
    subprocess.run(
        [*gpg, "--quick-gen-key", "test <t@example.invalid>", "ed25519", "sign", "never"],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        [*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    key = home / "key.asc"
    key.write_bytes(
        subprocess.run([*gpg, "--armor", "--export", fingerprint], check=True, capture_output=True).stdout
    )
    return key, fingerprint


def test_key_with_another_fingerprint_is_rejected_and_removed(tmp_path, signing_key):
    key, fingerprint = signing_key
    pinned = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    run = ansible_playbook(
        "tests/playbooks/package_repo_key.yml",
        "-e", f"llm_package_repo_key_url=file://{key}",
        "-e", f"llm_package_repo_key_fingerprint={pinned}",
        "-e", f"llm_package_repo_download_dir={tmp_path}/keys",
        "-e", f"llm_package_repo_keyring_dir={tmp_path}/keyrings",
        inventory="localhost,",
        local=True,
    )  # fmt: skip
    assert run.returncode != 0
    out = " ".join(run.stdout.split())
    assert f"primary fingerprint(s) {fingerprint}, expected {pinned}" in out
    assert "llm_package_repo_key_fingerprint" in out
    assert not (tmp_path / "keys/test-repo.asc").exists()
    assert not (tmp_path / "keyrings/test-repo.asc").exists()


def test_malformed_fingerprint_is_refused_before_any_download(tmp_path, signing_key):
    key, _ = signing_key
    run = ansible_playbook(
        "tests/playbooks/package_repo_key.yml",
        "-e", f"llm_package_repo_key_url=file://{key}",
        "-e", "llm_package_repo_key_fingerprint=DEADBEEF",
        "-e", f"llm_package_repo_download_dir={tmp_path}/keys",
        inventory="localhost,",
        local=True,
    )  # fmt: skip
    assert run.returncode != 0
    assert "llm_package_repo_key_fingerprint 40 hex characters (got 'DEADBEEF')" in " ".join(
        run.stdout.split()
    )
    assert not (tmp_path / "keys").exists()
