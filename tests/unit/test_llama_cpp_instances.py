"""One llama-server per model (roles/llama_cpp/filter_plugins/llama_cpp_instances.py): names, ports,
capability flags and sizing. The services themselves run in Molecule (roles/llama_cpp) and e2e."""

from __future__ import annotations

from tests.conftest import load_file_module

plugin = load_file_module("roles/llama_cpp/filter_plugins/llama_cpp_instances.py")
SETTINGS = {
    "binary": "/opt/llama-server/current/bin/llama-server",
    "host": "10.0.0.1",
    "port": 8080,
    "service_name": "llama-server",
    "state_dir": "/var/lib/llama-server",
    "api_key_file": "/etc/llama-server/api-key",
    "metrics": True,
    "ctx_size": 4096,
    "threads": 1,
    "parallel": 1,
    "gpu_layers": 0,
    "extra_args": [],
}
CHAT = {
    "name": "smollm2",
    "gguf": {"url": "http://m/models/S.gguf", "sha256": "a" * 64},
    "capabilities": ["chat", "tools", "structured_output"],
    "chat_template": {"url": "http://m/t.jinja", "sha256": "b" * 64},
}
EMBED = {
    "name": "all-minilm l6",
    "gguf": {"url": "http://m/models/E.gguf", "sha256": "c" * 64, "file": "e.gguf"},
    "capabilities": ["embedding"],
    "port": 8081,
    "llama_cpp": {"ctx_size": 512, "threads": 2, "extra_args": ["--pooling", "mean"]},
}


def _flag(args, flag):
    return args[args.index(flag) + 1]


def test_the_first_model_keeps_the_role_service_and_port_the_others_get_their_own():
    first, second = plugin.llama_cpp_instances([CHAT, EMBED], SETTINGS)
    assert (first["service"], first["port"]) == ("llama-server", 8080)
    assert (second["service"], second["port"]) == ("llama-server-all-minilm-l6", 8081)
    assert _flag(first["exec_start"], "--port") == "8080"
    assert _flag(second["exec_start"], "--port") == "8081"
    assert _flag(second["exec_start"], "--alias") == "'all-minilm l6'"
    assert second["model_path"] == "/var/lib/llama-server/models/e.gguf"


def test_capabilities_become_flags():
    chat, embed = (i["exec_start"] for i in plugin.llama_cpp_instances([CHAT, EMBED], SETTINGS))
    assert "--jinja" in chat
    assert "--embeddings" not in chat
    assert _flag(chat, "--chat-template-file") == "/var/lib/llama-server/templates/smollm2.jinja"
    assert "--embeddings" in embed
    assert "--jinja" not in embed
    assert "--chat-template-file" not in embed
    plain = plugin.llama_cpp_instances([{"name": "p", "gguf": CHAT["gguf"]}], SETTINGS)[0]["exec_start"]
    assert "--jinja" not in plain
    assert "--embeddings" not in plain
    # Every instance keeps the key file and the metrics; the web UI stays off.
    for args in (chat, embed, plain):
        assert _flag(args, "--api-key-file") == "/etc/llama-server/api-key"
        assert "--metrics" in args
        assert args[-1] == "--no-webui"


def test_an_entry_sizes_its_own_service_over_the_role():
    chat, embed = plugin.llama_cpp_instances([CHAT, EMBED], SETTINGS)
    assert (_flag(chat["exec_start"], "--ctx-size"), _flag(chat["exec_start"], "--threads")) == ("4096", "1")
    assert (_flag(embed["exec_start"], "--ctx-size"), _flag(embed["exec_start"], "--threads")) == ("512", "2")
    assert embed["exec_start"][-3:] == ["--pooling", "mean", "--no-webui"]
    assert embed["fit"] == {"name": "all-minilm l6", "path": embed["model_path"], "context": 512}


def test_without_a_key_no_key_file_is_passed():
    args = plugin.llama_cpp_instances([CHAT], SETTINGS | {"api_key_file": ""})[0]["exec_start"]
    assert "--api-key-file" not in args
