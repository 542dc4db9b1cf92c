"""What clients call, through the gateway, on the sandbox's backend: every capability the catalog
(inventories/sandbox/group_vars/all.yml) claims for that backend's entries is asserted on a real
answer, and every capability it does not claim is refused by the gateway with a 400 naming the model.

- embedding: /v1/embeddings returns 384-dimensional vectors (all-MiniLM-L6-v2) and a paraphrase pair
  is closer (cosine) than an unrelated pair;
- structured_output: response_format json_schema returns JSON that validates against the schema;
- tools: tools with tool_choice "required", and on a backend that honours it a tool_choice naming the
  function, return a call of get_weather whose arguments validate against its parameters (SmolLM2 is
  small: the constraint, and on llama.cpp the turn started with the template's <tool_call> tag, make
  the answer's form deterministic); a named choice where the backend would answer as "auto" is refused;
- discovery: /v1/model/info shows each entry's mode and features."""

from __future__ import annotations

import json
import math

import jsonschema
import pytest

from tests.e2e.conftest import CATALOG, SELECTED, TOOL_CALL_PREFILL
from tests.support.backends import registry

pytestmark = pytest.mark.e2e

EMBEDDING_DIMENSIONS = {"all-minilm-l6-v2": 384}
CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 24},
        "country": {"type": "string", "maxLength": 24},
    },
    "required": ["city", "country"],
    "additionalProperties": False,
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 24}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone",
        "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
    },
}
NAMED_WEATHER = {"type": "function", "function": {"name": "get_weather"}}
# Whether the backend honours a tool_choice naming a function (the registry's tool_choice); where it
# does not, the gateway refuses one.
NAMED_CHOICE = "named" in registry()[SELECTED.name]["tool_choice"]


def _caps(entry):
    return entry.get("capabilities") or ["chat"]


def _entries(capability, claimed=True):
    names = sorted({e["name"] for e in CATALOG if (capability in _caps(e)) == claimed})
    return names or [pytest.param(None, marks=pytest.mark.skip(reason=f"no {SELECTED.name} entry"))]


def _chat_entries_without(capability):
    names = sorted({e["name"] for e in CATALOG if "chat" in _caps(e) and capability not in _caps(e)})
    return names or [
        pytest.param(
            None, marks=pytest.mark.skip(reason=f"every {SELECTED.name} chat entry claims {capability}")
        )
    ]


def _tool_entries(named):
    if named == NAMED_CHOICE:
        return _entries("tools")
    reason = f"{SELECTED.name} {'honours' if NAMED_CHOICE else 'does not honour'} a named tool_choice"
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


def _post(client, key, path, body):
    return client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})


def _cosine(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


@pytest.mark.parametrize("model", _entries("embedding"))
def test_embeddings_have_the_models_dimension_and_rank_a_paraphrase_closest(client, master_key, model):
    texts = [
        "A man is playing a guitar.",
        "Someone plays the guitar.",
        "The stock market fell sharply today.",
    ]
    response = _post(client, master_key, "/v1/embeddings", {"model": model, "input": texts})
    assert response.status_code == 200, response.text
    vectors = [d["embedding"] for d in sorted(response.json()["data"], key=lambda d: d["index"])]
    assert [len(v) for v in vectors] == [EMBEDDING_DIMENSIONS[model]] * 3
    paraphrase, unrelated = _cosine(vectors[0], vectors[1]), _cosine(vectors[0], vectors[2])
    assert paraphrase > unrelated + 0.3, (paraphrase, unrelated)


@pytest.mark.parametrize("model", _entries("structured_output"))
def test_structured_output_validates_against_the_schema(client, master_key, model):
    body = {
        "model": model,
        "max_tokens": 60,
        "temperature": 0,
        "messages": [{"role": "user", "content": "Name a city and its country."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY}},
    }
    response = _post(client, master_key, "/v1/chat/completions", body)
    assert response.status_code == 200, response.text
    jsonschema.validate(json.loads(response.json()["choices"][0]["message"]["content"]), CITY)


def _tool_call(client, key, model, tool_choice):
    """A tool-call request with two tools, its turn started with the sandbox's prefill (if any)."""
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    if TOOL_CALL_PREFILL:
        messages.append({"role": "assistant", "content": TOOL_CALL_PREFILL})
    body = {
        "model": model,
        "max_tokens": 100,
        "temperature": 0,
        "messages": messages,
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "tool_choice": tool_choice,
    }
    return _post(client, key, "/v1/chat/completions", body)


def _assert_weather_call(response):
    assert response.status_code == 200, response.text
    calls = response.json()["choices"][0]["message"].get("tool_calls") or []
    assert calls, response.text
    assert calls[0]["function"]["name"] == "get_weather", calls
    jsonschema.validate(json.loads(calls[0]["function"]["arguments"]), WEATHER_TOOL["function"]["parameters"])


@pytest.mark.parametrize("model", _entries("tools"))
def test_a_required_tool_call_has_arguments_that_validate(client, master_key, model):
    _assert_weather_call(_tool_call(client, master_key, model, "required"))


@pytest.mark.parametrize("model", _tool_entries(named=True))
def test_a_named_tool_call_calls_that_function_with_arguments_that_validate(client, master_key, model):
    _assert_weather_call(_tool_call(client, master_key, model, NAMED_WEATHER))


@pytest.mark.parametrize("model", _tool_entries(named=False))
def test_a_named_tool_choice_is_refused_where_the_backend_would_answer_as_auto(client, master_key, model):
    response = _tool_call(client, master_key, model, NAMED_WEATHER)
    assert response.status_code == 400, response.text
    assert f"model '{model}' does not honour a tool_choice naming a function" in response.text


@pytest.mark.parametrize("model", _chat_entries_without("tools"))
def test_tools_on_a_model_that_does_not_claim_them_are_refused(client, master_key, model):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "tools": [WEATHER_TOOL]}
    response = _post(client, master_key, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    assert f"model '{model}' does not support tool calling" in response.text


@pytest.mark.parametrize("model", _chat_entries_without("structured_output"))
def test_a_schema_on_a_model_that_does_not_claim_it_is_refused(client, master_key, model):
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY}},
    }
    response = _post(client, master_key, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    assert f"model '{model}' does not support structured output" in response.text


@pytest.mark.parametrize("model", _entries("embedding"))
def test_a_chat_request_to_an_embedding_model_is_refused(client, master_key, model):
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    response = _post(client, master_key, "/v1/chat/completions", body)
    assert response.status_code == 400, response.text
    assert f"model '{model}' is an embedding model" in response.text


@pytest.mark.parametrize("model", _entries("embedding", claimed=False))
def test_embeddings_from_a_chat_model_are_refused(client, master_key, model):
    response = _post(client, master_key, "/v1/embeddings", {"model": model, "input": "hi"})
    assert response.status_code == 400, response.text
    assert f"model '{model}' is not an embedding model" in response.text


def test_model_info_shows_each_entrys_mode_and_features(client, master_key):
    response = client.get("/v1/model/info", headers={"Authorization": f"Bearer {master_key}"})
    assert response.status_code == 200, response.text
    served = {}
    for item in response.json()["data"]:
        info = item["model_info"]
        served[item["model_name"]] = {
            "mode": info.get("mode"),
            "tools": bool(info.get("supports_function_calling")),
            "structured_output": bool(info.get("supports_response_schema")),
        }
    for entry in CATALOG:
        caps = _caps(entry)
        assert served[entry["name"]] == {
            "mode": "embedding" if "embedding" in caps else "chat",
            "tools": "tools" in caps,
            "structured_output": "structured_output" in caps,
        }, entry["name"]


@pytest.mark.skipif(
    registry()[SELECTED.name]["instances"] != "per_model",
    reason=f"{SELECTED.name} serves every model in one service",
)
def test_each_model_runs_in_its_own_service_on_its_own_port(backend):
    """The first catalog entry in the backend's service on its role port, each further one in
    <service>-<name> on its own port; every one enabled, running and listening."""
    for index, entry in enumerate(CATALOG):
        service = SELECTED.service if index == 0 else f"{SELECTED.service}-{entry['name']}"
        port = entry.get("port") or SELECTED.port
        unit = backend.service(service)
        assert unit.is_enabled, service
        assert unit.is_running, service
        listening = [line.split()[3] for line in backend.check_output("ss -Hltn").splitlines()]
        assert any(address.endswith(f":{port}") for address in listening), (service, port, listening)
