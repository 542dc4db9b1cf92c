"""The gateway's capability guard: a LiteLLM pre-call hook that refuses, with a 400 naming the model and
the capability, a request the model's catalog entry does not claim, instead of letting
`drop_params: true` drop `tools` or `response_format` silently or a backend answer with a 500.

Data: capabilities.json beside this file (model name -> capabilities, plus `tool_choice_named` where
every deployment's backend honours a named tool_choice), written by the litellm role from the catalog
and the registry (filter_plugins/litellm_model_list.py: litellm_capabilities). A name it does not list
(litellm_extra_model_list, a wildcard) is left to LiteLLM. Loaded by config.yaml's
`litellm_settings.callbacks: [llm_capabilities.guard]`; the pure function `refusal` is unit-tested
(tests/unit/test_capability_guard.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CAPABILITIES_FILE = Path(__file__).with_name("capabilities.json")
EMBEDDING_CALLS = {"embedding", "aembedding"}
CHAT_CALLS = {
    "completion",
    "acompletion",
    "text_completion",
    "atext_completion",
    "responses",
    "aresponses",
    "anthropic_messages",
    "aanthropic_messages",
}


def refusal(capabilities: Mapping[str, list[str]], call_type: str, data: Mapping[str, Any]) -> str | None:
    """Why the request is refused, or None when the model's entry claims what it asks for."""
    model = str(data.get("model", ""))
    caps = capabilities.get(model)
    if caps is None:
        return None
    if call_type in EMBEDDING_CALLS:
        if "embedding" not in caps:
            return f"model '{model}' is not an embedding model: call /v1/embeddings with an embedding model"
        return None
    if call_type not in CHAT_CALLS:
        return None
    if "chat" not in caps:
        return f"model '{model}' is an embedding model: it serves /v1/embeddings only"
    asks_tools = data.get("tools") or data.get("functions") or data.get("tool_choice") not in (None, "none")
    if asks_tools and "tools" not in caps:
        return f"model '{model}' does not support tool calling (its catalog entry does not claim `tools`)"
    if isinstance(data.get("tool_choice"), Mapping) and "tool_choice_named" not in caps:
        return (
            f"model '{model}' does not honour a tool_choice naming a function (its backend would answer "
            'as with "auto"): use tool_choice "required" with that one tool'
        )
    response_format = data.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind in ("json_schema", "json_object") and "structured_output" not in caps:
        return (
            f"model '{model}' does not support structured output (response_format {kind}; "
            "its catalog entry does not claim `structured_output`)"
        )
    return None


def _load() -> dict[str, list[str]]:
    try:
        return json.loads(CAPABILITIES_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


try:  # LiteLLM is there when the proxy loads this module; the unit tests import it without LiteLLM.
    from fastapi import HTTPException
    from litellm.integrations.custom_logger import CustomLogger
except ImportError:  # pragma: no cover
    CustomLogger = object  # type: ignore[assignment,misc]


class CapabilityGuard(CustomLogger):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self.capabilities = _load()

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str
    ) -> dict:
        reason = refusal(self.capabilities, call_type, data)
        if reason:
            raise HTTPException(status_code=400, detail={"error": reason})
        return data


guard = CapabilityGuard()
