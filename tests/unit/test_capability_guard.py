"""The gateway's capability guard (roles/litellm/files/llm_capabilities.py): what it refuses, and that
it refuses nothing a model's catalog entry claims. Its LiteLLM wiring is proven through the gateway in
tests/e2e/test_capabilities.py."""

from __future__ import annotations

import pytest

from tests.conftest import load_file_module

guard = load_file_module("roles/litellm/files/llm_capabilities.py")
CAPS = {
    "chat-only": ["chat"],
    "full": ["chat", "tools", "structured_output", "tool_choice_named"],
    "required-only": ["chat", "tools"],
    "minilm": ["embedding"],
}
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
NAMED = {"type": "function", "function": {"name": "f"}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}


@pytest.mark.parametrize(
    ("call_type", "data", "message"),
    [
        ("acompletion", {"model": "chat-only", "tools": TOOLS}, "does not support tool calling"),
        ("acompletion", {"model": "chat-only", "tool_choice": "required"}, "does not support tool calling"),
        (
            "acompletion",
            {"model": "chat-only", "response_format": SCHEMA},
            "does not support structured output",
        ),
        (
            "acompletion",
            {"model": "chat-only", "response_format": {"type": "json_object"}},
            "does not support structured output",
        ),
        (
            "acompletion",
            {"model": "required-only", "tools": TOOLS, "tool_choice": NAMED},
            "does not honour a tool_choice naming a function",
        ),
        ("acompletion", {"model": "chat-only", "tools": TOOLS, "tool_choice": NAMED}, "tool calling"),
        ("acompletion", {"model": "minilm", "messages": []}, "is an embedding model"),
        ("aembedding", {"model": "full", "input": "x"}, "is not an embedding model"),
    ],
)
def test_an_unclaimed_capability_is_refused_naming_model_and_capability(call_type, data, message):
    assert message in guard.refusal(CAPS, call_type, data)
    assert f"'{data['model']}'" in guard.refusal(CAPS, call_type, data)


@pytest.mark.parametrize(
    ("call_type", "data"),
    [
        ("acompletion", {"model": "chat-only", "messages": []}),
        ("acompletion", {"model": "chat-only", "response_format": {"type": "text"}, "tool_choice": "none"}),
        (
            "acompletion",
            {"model": "full", "tools": TOOLS, "tool_choice": "required", "response_format": SCHEMA},
        ),
        ("acompletion", {"model": "full", "tools": TOOLS, "tool_choice": NAMED}),
        ("acompletion", {"model": "required-only", "tools": TOOLS, "tool_choice": "required"}),
        ("acompletion", {"model": "required-only", "tools": TOOLS, "tool_choice": "auto"}),
        ("aembedding", {"model": "minilm", "input": ["a", "b"]}),
        ("acompletion", {"model": "not-in-the-catalog", "tools": TOOLS}),  # left to LiteLLM
        ("amoderation", {"model": "minilm"}),  # not a call the catalog describes
    ],
)
def test_what_an_entry_claims_passes(call_type, data):
    assert guard.refusal(CAPS, call_type, data) is None


def test_the_guard_reads_its_data_beside_it(tmp_path, monkeypatch):
    data = tmp_path / "capabilities.json"
    data.write_text('{"m": ["embedding"]}')
    monkeypatch.setattr(guard, "CAPABILITIES_FILE", data)
    assert guard._load() == {"m": ["embedding"]}
    monkeypatch.setattr(guard, "CAPABILITIES_FILE", tmp_path / "absent.json")
    assert guard._load() == {}
