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
    assert "FAILED: 1/6 checks passed" in out


def test_missing_key_file_exits_2(tmp_path, capsys):
    assert main(["smoke", "--url", "http://127.0.0.1:9", "--key-file", str(tmp_path / "nope")]) == 2
    assert "--key-file" in capsys.readouterr().err


def test_backend_key_from_the_compose_env(tmp_path):
    path = tmp_path / ".env"
    path.write_text("LITELLM_MASTER_KEY=sk-m\nLLM_BACKEND_API_KEY=abc\n")
    assert smoke.read_key(path, "LLM_BACKEND_API_KEY", prefix="") == "abc"


def test_runs_as_a_script_with_the_key_in_the_gateways_env_file(open_door, tmp_path):
    """verify.yml runs the file itself with the gateway's interpreter, reading the key from LiteLLM's
    env file on the gateway (never on a command line or in the environment of the remote command)."""
    import subprocess
    import sys

    script = smoke.__file__
    env_file = tmp_path / "litellm.env"
    env_file.write_text("LITELLM_LOG=ERROR\nLITELLM_MASTER_KEY=sk-x\n")
    result = subprocess.run(
        [sys.executable, script, "--url", open_door, "--key-file", str(env_file), "--json", "--timeout", "5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"]][:4] == [
        "no key -> 401",
        "wrong key -> 4xx",
        "near-miss key -> 4xx",
        "model listed",
    ]
    unset = subprocess.run(
        [sys.executable, script, "--url", open_door, "--key-env", "NOT_SET_ANYWHERE"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert unset.returncode == 2
    assert "NOT_SET_ANYWHERE" in unset.stderr


class _Echo(BaseHTTPRequestHandler):
    """Refuses every key but the right one, and echoes the key it was sent (a leak smoke must catch)."""

    def do_GET(self):
        sent = self.headers.get("Authorization", "").removeprefix("Bearer ")
        ok = sent == "sk-" + "r" * 20
        body = json.dumps({"data": [{"id": "m"}]} if ok else {"error": f"bad key {sent}"}).encode()
        self.send_response(200 if ok else (401 if not sent else 400))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_refusal_that_echoes_the_key_fails(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        report = smoke.run(f"http://127.0.0.1:{server.server_address[1]}", "sk-" + "r" * 20, timeout=5)
    finally:
        server.shutdown()
    by_name = {c.name: c for c in report.checks}
    assert by_name["no key -> 401"].ok
    assert not by_name["near-miss key -> 4xx"].ok
    assert "echoes a key" in by_name["near-miss key -> 4xx"].detail
    assert smoke.near_miss("sk-abcA") == "sk-abcB"
    assert smoke.near_miss("sk-abc") == "sk-abA"
