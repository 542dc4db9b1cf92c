"""`llm-onprem dev-tls`: the compose stack's HTTPS certificate verifies against its CA, is kept when
current and re-issued when it names other hosts; keys are 0600."""

import socket
import ssl
import threading

from llm_onprem import dev_tls
from llm_onprem.cli import main


def _handshake(directory, server_name: str) -> str:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "gateway.crt", directory / "gateway.key")
    client = ssl.create_default_context(cafile=directory / "ca.crt")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve():
            conn, _ = listener.accept()
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            version = tls.version()
            assert tls.recv(2) == b"ok"
        thread.join(5)
    return version


def test_certificate_verifies_for_localhost_and_loopback_and_keys_are_private(tmp_path, capsys):
    assert main(["dev-tls", "--dir", str(tmp_path)]) == 0
    assert "issued" in capsys.readouterr().out
    assert _handshake(tmp_path, "localhost") in {"TLSv1.2", "TLSv1.3"}
    assert _handshake(tmp_path, "127.0.0.1")
    for name in ("ca.key", "gateway.key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert tmp_path.stat().st_mode & 0o777 == 0o700


def test_kept_when_current_reissued_for_other_names(tmp_path):
    assert dev_tls.ensure(tmp_path) is True
    first = (tmp_path / "gateway.crt").read_bytes()
    ca = (tmp_path / "ca.crt").read_bytes()
    assert dev_tls.ensure(tmp_path) is False
    assert (tmp_path / "gateway.crt").read_bytes() == first
    assert dev_tls.ensure(tmp_path, ("localhost", "127.0.0.1", "gw.example")) is True
    assert (tmp_path / "gateway.crt").read_bytes() != first
    assert (tmp_path / "ca.crt").read_bytes() == ca
    assert _handshake(tmp_path, "gw.example")
