import hashlib
import json

import pytest

from llm_onprem.checksums import ChecksumMismatchError, sha256_file, verify_sha256
from llm_onprem.mirror import write_manifest


def test_sha256_file_matches_hashlib(tmp_path):
    data = b"x" * (3 << 20) + b"tail"  # spans several read chunks
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_verify_names_file_and_both_hashes(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"not the model")
    expected = "0" * 64
    with pytest.raises(ChecksumMismatchError) as err:
        verify_sha256(path, expected)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert hashlib.sha256(b"not the model").hexdigest() in message


def test_manifest_covers_every_file_but_itself(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.gguf").write_bytes(b"a")
    (tmp_path / "python").mkdir()
    (tmp_path / "python" / "w-1.0-py3-none-any.whl").write_bytes(b"w")
    (tmp_path / "python" / "half.part").write_bytes(b"partial download")
    (tmp_path / "python" / ".staged-0123456789abcdef").touch()  # staging stamp, not an artifact
    write_manifest(tmp_path)
    write_manifest(tmp_path)  # a second run must not list SHA256SUMS or manifest.json themselves
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"] == {
        "models/a.gguf": hashlib.sha256(b"a").hexdigest(),
        "python/w-1.0-py3-none-any.whl": hashlib.sha256(b"w").hexdigest(),
    }
    sums = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert sums == [
        f"{hashlib.sha256(b'a').hexdigest()}  models/a.gguf",
        f"{hashlib.sha256(b'w').hexdigest()}  python/w-1.0-py3-none-any.whl",
    ]


def test_manifest_rehashes_only_what_changed(tmp_path, monkeypatch):
    from llm_onprem import mirror

    (tmp_path / "a.bin").write_bytes(b"a")
    (tmp_path / "b.bin").write_bytes(b"b")
    write_manifest(tmp_path)
    hashed: list[str] = []
    real = mirror.sha256_file
    monkeypatch.setattr(mirror, "sha256_file", lambda path: hashed.append(path.name) or real(path))
    write_manifest(tmp_path)
    assert hashed == [], "unchanged files (same size and mtime) keep their recorded sha256"
    (tmp_path / "b.bin").write_bytes(b"B")  # same size, new content and mtime
    write_manifest(tmp_path)
    assert hashed == ["b.bin"]
    assert (
        json.loads((tmp_path / "manifest.json").read_text())["files"]["b.bin"]
        == hashlib.sha256(b"B").hexdigest()
    )
