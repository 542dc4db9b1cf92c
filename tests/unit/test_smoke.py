"""`llm-onprem smoke`: key files, URLs, and that it fails an endpoint that does not authenticate."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llm_onprem import smoke
from llm_onprem.cli import main


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("abc123\n", "sk-abc123"),  # the roles' secret file: the gateway adds sk-
        ("sk-abc123", "sk-abc123"),
        ("# dev\nCOMPOSE_PROFILES=ollama\nLITELLM_MASTER_KEY=sk-xyz\nLLM_BACKEND_API_KEY=b\n", "sk-xyz"),
    ],
)
def test_key_file(tmp_path, content, key):
    path = tmp_path / "key"
    path.write_text(content)
    assert smoke.read_key(path) == key


def test_empty_key_file_is_refused(tmp_path):
    path = tmp_path / "key"
    path.write_text("\n")
    with pytest.raises(ValueError, match="no key"):
        smoke.read_key(path)


@pytest.mark.parametrize("url", ["http://h:4000", "http://h:4000/", "http://h:4000/v1", "http://h:4000/v1/"])
def test_base_url(url):
    assert smoke.base_url(url) == "http://h:4000"


class _OpenDoor(BaseHTTPRequestHandler):
    """An endpoint that serves /v1/models to anyone and has no completions."""

    def do_GET(self):
        body = json.dumps({"data": [{"id": "m"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def open_door():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenDoor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_an_endpoint_without_auth_fails(open_door, tmp_path, capsys):
    report = smoke.run(open_door, "sk-x", timeout=5)
    by_name = {c.name: c for c in report.checks}
    assert not report.ok
    assert not by_name["no key -> 401"].ok
    assert "got 200" in by_name["no key -> 401"].detail
    assert by_name["model listed"].ok
    assert report.model == "m"
    assert not by_name["completion"].ok

    key = tmp_path / "key"
    key.write_text("x")
    assert main(["smoke", "--url", open_door, "--key-file", str(key), "--timeout", "5"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] no key -> 401" in out
    assert "FAILED: 1/5 checks passed" in out


def test_missing_key_file_exits_2(tmp_path, capsys):
    assert main(["smoke", "--url", "http://127.0.0.1:9", "--key-file", str(tmp_path / "nope")]) == 2
    assert "--key-file" in capsys.readouterr().err


def test_backend_key_from_the_compose_env(tmp_path):
    path = tmp_path / ".env"
    path.write_text("LITELLM_MASTER_KEY=sk-m\nLLM_BACKEND_API_KEY=abc\n")
    assert smoke.read_key(path, "LLM_BACKEND_API_KEY", prefix="") == "abc"


def test_runs_as_a_script_with_the_key_in_the_environment(open_door):
    """verify.yml runs the file itself with the gateway's interpreter, the key in the environment."""
    import os
    import subprocess
    import sys

    script = smoke.__file__
    env = {**os.environ, "SMOKE_KEY": "sk-x"}
    result = subprocess.run(
        [sys.executable, script, "--url", open_door, "--key-env", "SMOKE_KEY", "--json", "--timeout", "5"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"]][:3] == ["no key -> 401", "wrong key -> 4xx", "model listed"]
    unset = subprocess.run(
        [sys.executable, script, "--url", open_door, "--key-env", "NOT_SET_ANYWHERE"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unset.returncode == 2
    assert "NOT_SET_ANYWHERE" in unset.stderr
