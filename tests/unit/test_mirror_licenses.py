"""`llm-onprem mirror licenses`: every manifest entry gets its version, licence and sha256 in
LICENSES.md and the CycloneDX SBOM; an entry without a licence fails, named."""

import json
import zipfile

import pytest

from llm_onprem import mirror_licenses
from llm_onprem.cli import main

MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2024 x\n\nPermission is hereby granted, free of charge, to any person"
)


def _wheel(mirror, name, version, metadata="", files=None):
    path = mirror / "python" / f"{name}-{version}-py3-none-any.whl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            f"{name}-{version}.dist-info/METADATA", f"Metadata-Version: 2.4\nName: {name}\n{metadata}"
        )
        for inner, text in (files or {}).items():
            wheel.writestr(f"{name}-{version}.dist-info/{inner}", text)
    return path.relative_to(mirror).as_posix()


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    files = {
        _wheel(root, "httpx", "0.28.1", "License-Expression: BSD-3-Clause\n"): "a" * 64,
        _wheel(root, "old_pkg", "1.0", "Classifier: License :: OSI Approved :: MIT License\n"): "b" * 64,
        _wheel(root, "setuptools", "78.1.1", "License-File: LICENSE\n", {"licenses/LICENSE": MIT_TEXT}): "c"
        * 64,
        "llama.cpp/b11434/llama-server-b11434-linux-x86_64.tar.gz": "d" * 64,
        "models/SmolLM2-135M-Instruct.Q4_1.gguf": "e" * 64,
    }
    (root / "manifest.json").write_text(json.dumps({"files": files}))
    return root


def test_licences_versions_and_hashes_of_every_entry(mirror, tmp_path):
    licenses = tmp_path / "LICENSES.md"
    assert main(["mirror", "licenses", "--dir", str(mirror), "--licenses", str(licenses)]) == 0
    text = licenses.read_text()
    assert (
        "| httpx | 0.28.1 | BSD-3-Clause | `aaaaaaaaaaaaaaaa…` | `python/httpx-0.28.1-py3-none-any.whl` |"
        in text
    )
    assert "| old-pkg | 1.0 | MIT |" in text
    assert "| setuptools | 78.1.1 | MIT |" in text  # from its licence file: METADATA names none
    assert "| b11434 | MIT |" in text
    assert "| ab810cf68114990406fdf996510dd3d3c6adbdf5 | Apache-2.0 |" in text
    sbom = json.loads((mirror / "sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    assert sbom["specVersion"] == "1.6"
    components = {c["bom-ref"]: c for c in sbom["components"]}
    assert len(components) == 5
    httpx = components["python/httpx-0.28.1-py3-none-any.whl"]
    assert httpx["purl"] == "pkg:pypi/httpx@0.28.1"
    assert httpx["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
    assert httpx["licenses"] == [{"license": {"id": "BSD-3-Clause"}}]
    assert components["models/SmolLM2-135M-Instruct.Q4_1.gguf"]["type"] == "machine-learning-model"
    assert main(["mirror", "licenses", "--dir", str(mirror), "--licenses", str(licenses), "--check"]) == 0
    licenses.write_text(text.replace("BSD-3-Clause", "MIT"))
    assert main(["mirror", "licenses", "--dir", str(mirror), "--licenses", str(licenses), "--check"]) == 1


def test_an_entry_without_a_licence_fails_naming_it(mirror, tmp_path, capsys):
    manifest = json.loads((mirror / "manifest.json").read_text())
    manifest["files"][_wheel(mirror, "mystery", "2.0")] = "f" * 64
    manifest["files"]["models/unknown.gguf"] = "0" * 64
    (mirror / "manifest.json").write_text(json.dumps(manifest))
    assert main(["mirror", "licenses", "--dir", str(mirror), "--licenses", str(tmp_path / "L.md")]) == 1
    err = capsys.readouterr().err
    assert "python/mystery-2.0-py3-none-any.whl (its METADATA declares no licence)" in err
    assert "models/unknown.gguf (no entry in llm_onprem.mirror_licenses.ARTIFACTS)" in err
    assert not (tmp_path / "L.md").exists()


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ("License: MIT License\n", "MIT"),
        ("License: UNKNOWN\n", ""),
        ("License: " + "x" * 100 + "\n", ""),
        (
            "Classifier: License :: OSI Approved :: Apache Software License\nLicense: Apache 2.0\n",
            "Apache-2.0",
        ),
        ("Classifier: License :: Other/Proprietary License\n", "LicenseRef-Proprietary"),
    ],
)
def test_wheel_metadata_licence(metadata, expected):
    assert mirror_licenses.wheel_license(metadata) == expected
