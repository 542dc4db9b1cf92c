"""llm_package_repo trusts a key file only when it holds exactly one primary key, the pinned one."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, ansible_playbook

_spec = importlib.util.spec_from_file_location(
    "openpgp_keys", ROOT / "roles/llm_package_repo/filter_plugins/openpgp_keys.py"
)
filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(filters)


def _gpg(home: Path) -> list[str]:
    return ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", ""]


def _new_key(home: Path, uid: str) -> str:
    """Generate an ed25519 signing key with an encryption subkey; return its primary fingerprint."""
    subprocess.run(
        [*_gpg(home), "--quick-gen-key", uid, "ed25519", "sign", "never"], check=True, capture_output=True
    )
    listing = subprocess.run(
        [*_gpg(home), "--with-colons", "--list-keys", uid], check=True, capture_output=True, text=True
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    subprocess.run(
        [*_gpg(home), "--quick-add-key", fingerprint, "cv25519", "encr", "never"],
        check=True,
        capture_output=True,
    )
    return fingerprint


@pytest.fixture(scope="module")
def keyring(tmp_path_factory) -> tuple[Path, str, str]:
    """Two throwaway keys in one GnuPG home; returns (home, first fingerprint, second fingerprint)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    return home, _new_key(home, "test <t@example.invalid>"), _new_key(home, "evil <e@example.invalid>")


def _export(home: Path, dest: Path, *fingerprints: str) -> Path:
    dest.write_bytes(
        subprocess.run(
            [*_gpg(home), "--armor", "--export", *fingerprints], check=True, capture_output=True
        ).stdout
    )
    return dest


def _show(path: Path) -> str:
    return subprocess.run(
        ["gpg", "--batch", "--show-keys", "--with-colons", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="module")
def signing_key(keyring, tmp_path_factory) -> tuple[Path, str]:
    """The first key alone, exported armoured; returns (file, fingerprint)."""
    home, first, _ = keyring
    return _export(home, tmp_path_factory.mktemp("key") / "key.asc", first), first


def _converge(tmp_path: Path, key: Path, pinned: str):
    return ansible_playbook(
        "tests/playbooks/package_repo_key.yml",
        "-e", f"llm_package_repo_key_url=file://{key}",
        "-e", f"llm_package_repo_key_fingerprint={pinned}",
        "-e", f"llm_package_repo_download_dir={tmp_path}/keys",
        "-e", f"llm_package_repo_keyring_dir={tmp_path}/keyrings",
        "-e", f"llm_package_repo_sources_dir={tmp_path}/sources",
        inventory="localhost,",
        local=True,
    )  # fmt: skip


def test_listing_names_primaries_not_subkeys(keyring, tmp_path):
    home, first, second = keyring
    both = _show(_export(home, tmp_path / "both.asc", first, second))
    assert both.count("\nfpr:") == 4  # two primaries and their two subkeys
    assert filters.openpgp_primary_fingerprints(both) == [first, second]
    assert filters.openpgp_key_problem(both, first) == (
        f"holds 2 primary key(s), {first}, {second}; it must hold exactly one, {first}"
    )
    one = _show(_export(home, tmp_path / "one.asc", first))
    assert filters.openpgp_key_problem(one, first.lower()) == ""
    assert filters.openpgp_key_problem("", first) == "holds no OpenPGP primary key"


def test_file_with_the_pinned_key_plus_another_is_rejected_and_removed(tmp_path, keyring):
    home, first, second = keyring
    run = _converge(tmp_path, _export(home, tmp_path / "two.asc", first, second), first)
    assert run.returncode != 0
    out = " ".join(run.stdout.split())
    assert f"holds 2 primary key(s), {first}, {second}; it must hold exactly one, {first}" in out
    assert "llm_package_repo_key_fingerprint" in out
    assert not (tmp_path / "keys/test-repo.asc").exists()
    assert not (tmp_path / "keyrings/test-repo.asc").exists()
    assert not (tmp_path / "sources").exists()


def test_the_pinned_key_alone_is_installed_and_trusted_alone(tmp_path, signing_key):
    key, fingerprint = signing_key
    (tmp_path / "sources").mkdir()
    run = _converge(tmp_path, key, fingerprint)
    assert run.returncode == 0, run.stdout[-3000:]
    installed = tmp_path / "keyrings/test-repo.asc"
    assert filters.openpgp_primary_fingerprints(_show(installed)) == [fingerprint]
    assert oct(installed.stat().st_mode & 0o777) == "0o644"
    sources = (tmp_path / "sources/test-repo.sources").read_text()
    assert f"Signed-By: {installed}" in sources


def test_key_with_another_fingerprint_is_rejected_and_removed(tmp_path, signing_key):
    key, fingerprint = signing_key
    pinned = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    run = _converge(tmp_path, key, pinned)
    assert run.returncode != 0
    out = " ".join(run.stdout.split())
    assert f"holds 1 primary key(s), {fingerprint}; it must hold exactly one, {pinned}" in out
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
