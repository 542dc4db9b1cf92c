"""`llm-onprem smoke`: prove an OpenAI-compatible endpoint works, in one screen.

Checks, in order: a request without a key is refused with 401, a wrong key and a near-miss of the
real key (its last character changed) are refused (4xx) without echoing either key, `/v1/models`
lists the model, a completion comes back non-empty and does not echo the key, a streamed completion
arrives in chunks and ends with `[DONE]`. The exit code is 0 only when every check passed. HTTPS is
verified against `--ca-file` (the gateway's generated CA) or the system's trust store.

This file needs only the standard library and httpx, so it also runs as a script with any Python
that has httpx: playbooks/verify.yml runs it on the gateway with LiteLLM's own interpreter.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROMPT = "What is the capital of France? Answer in one short sentence."


class CheckFailed(Exception):
    """A check's expectation was not met."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class Report:
    url: str
    model: str = ""
    checks: list[Check] = field(default_factory=list)
    completion: str = ""
    usage: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def render(self) -> str:
        lines = [f"smoke {self.url}  model {self.model or '?'}"]
        for c in self.checks:
            status = "PASS" if c.ok else "FAIL"
            lines.append(f"  [{status}] {c.name:<22} {c.seconds * 1000:7.0f} ms  {c.detail}")
        passed = sum(c.ok for c in self.checks)
        lines.append(f"  {'OK' if self.ok else 'FAILED'}: {passed}/{len(self.checks)} checks passed")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "model": self.model,
            "ok": self.ok,
            "completion": self.completion,
            "usage": self.usage,
            "checks": [
                {"name": c.name, "ok": c.ok, "detail": c.detail, "ms": round(c.seconds * 1000)}
                for c in self.checks
            ],
        }


def base_url(url: str) -> str:
    """`http://h:4000`, `http://h:4000/` and `http://h:4000/v1` all mean the same endpoint."""
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def read_key(path: Path, variable: str = "LITELLM_MASTER_KEY", prefix: str = "sk-") -> str:
    """A key file: a bare key, or a dotenv file with `variable`= (compose/.env).

    LiteLLM master keys start with `sk-`; the roles store the key without it (the gateway adds it),
    so a bare key without the prefix gets it. Backend keys are read with prefix="".
    """
    text = path.read_text()
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() == variable:
            text = value
            break
    key = text.strip().strip("'\"")
    if not key:
        raise ValueError(f"{path}: no key in this file")
    return key if key.startswith(prefix) else prefix + key


def _run(report: Report, name: str, step: Callable[[], str]) -> bool:
    start = time.perf_counter()
    try:
        detail, ok = step(), True
    except (CheckFailed, httpx.HTTPError, KeyError, IndexError, ValueError) as error:
        detail, ok = f"{type(error).__name__}: {error}", False
    report.checks.append(Check(name, ok, detail, time.perf_counter() - start))
    return ok


def _chat_body(model: str, max_tokens: int, stream: bool = False) -> dict[str, object]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": stream,
    }


def tls_verify(ca_file: str | None) -> ssl.SSLContext | bool:
    """httpx's `verify`: the CA file's certificates (the gateway's generated CA) or, without one, the
    system trust store ($SSL_CERT_FILE / $SSL_CERT_DIR when set)."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return ssl.create_default_context()


def near_miss(key: str) -> str:
    """The key with its last character changed: a wrong key that shares every other character."""
    return key[:-1] + ("A" if key[-1:] != "A" else "B")


def run(
    url: str,
    key: str,
    model: str | None = None,
    max_tokens: int = 32,
    timeout: float = 120,
    ca_file: str | None = None,
    tool_call_prefill: str = "",
) -> Report:
    report = Report(base_url(url), model or "")
    root = report.url
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=timeout, verify=tls_verify(ca_file)) as client:

        def no_key() -> str:
            r = client.get(f"{root}/v1/models")
            expect(r.status_code == 401, f"expected 401 without a key, got {r.status_code}")
            return "401 without a key"

        def wrong_key() -> str:
            r = client.get(f"{root}/v1/models", headers={"Authorization": "Bearer sk-wrong-key"})
            expect(400 <= r.status_code < 500, f"expected 4xx with a wrong key, got {r.status_code}")
            return f"{r.status_code} with a wrong key"

        def near_miss_key() -> str:
            r = client.get(f"{root}/v1/models", headers={"Authorization": f"Bearer {near_miss(key)}"})
            expect(400 <= r.status_code < 500, f"expected 4xx with a near-miss key, got {r.status_code}")
            echoed = [k for k in (key, near_miss(key)) if k.removeprefix("sk-") in r.text]
            expect(not echoed, "the refusal echoes a key")
            return f"{r.status_code} with the real key's last character changed"

        declared: dict[str, dict[str, object]] = {}

        def models() -> str:
            r = client.get(f"{root}/v1/models", headers=auth)
            r.raise_for_status()
            ids = [m["id"] for m in r.json()["data"]]
            info = client.get(f"{root}/v1/model/info", headers=auth)
            if info.status_code == 200:
                declared.update(model_capabilities(info.json().get("data") or []))
            if not report.model:
                chat = [i for i in ids if declared.get(i, {}).get("mode", "chat") == "chat"]
                expect(chat, f"no chat model listed ({ids})")
                report.model = chat[0]
            expect(report.model in ids, f"{report.model!r} not in {ids}")
            return ", ".join(ids)

        def completion() -> str:
            body = _chat_body(report.model, max_tokens)
            r = client.post(f"{root}/v1/chat/completions", headers=auth, json=body)
            r.raise_for_status()
            bare = key.removeprefix("sk-")
            expect(bare not in r.text and bare not in str(r.headers), "the response echoes the key")
            reply = r.json()
            text = (reply["choices"][0]["message"]["content"] or "").strip()
            expect(text, f"empty completion: {json.dumps(reply)[:300]}")
            report.completion = text
            report.usage = reply.get("usage") or {}
            tokens = reply.get("usage", {}).get("completion_tokens", "?")
            return f"{tokens} tokens: {text[:60]!r}"

        def streamed() -> str:
            chunks, text, done = 0, "", False
            body = _chat_body(report.model, max_tokens, stream=True)
            with client.stream("POST", f"{root}/v1/chat/completions", headers=auth, json=body) as r:
                r.raise_for_status()
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line.removeprefix("data:").strip()
                    if data == "[DONE]":
                        done = True
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    text += choices[0].get("delta", {}).get("content") or ""
                    chunks += 1
            expect(done, "the stream did not end with [DONE]")
            expect(chunks > 1, f"one chunk only: {text!r}")
            expect(text.strip(), f"{chunks} chunks, no text")
            return f"{chunks} chunks, ends with [DONE]"

        _run(report, "no key -> 401", no_key)
        _run(report, "wrong key -> 4xx", wrong_key)
        _run(report, "near-miss key -> 4xx", near_miss_key)
        if _run(report, "model listed", models):
            _run(report, "completion", completion)
            _run(report, "streamed completion", streamed)
            # Each capability a model declares (/v1/model/info, from its catalog entry).
            for name, caps in sorted(declared.items()):
                for capability, check in CAPABILITY_CHECKS.items():
                    if caps.get(capability):
                        extra = (tool_call_prefill,) if capability == "tools" else ()
                        step = functools.partial(check, client, root, auth, name, *extra)
                        _run(report, f"{capability} ({name})", step)
    return report


def model_capabilities(data: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """Model name -> {mode, embedding, tools, structured_output} from /v1/model/info's entries (every
    deployment of a name declares the same; the last one read wins)."""
    out: dict[str, dict[str, object]] = {}
    for item in data:
        info = item.get("model_info") or {}
        assert isinstance(info, dict)
        mode = info.get("mode") or "chat"
        out[str(item.get("model_name"))] = {
            "mode": mode,
            "embedding": mode == "embedding",
            "tools": bool(info.get("supports_function_calling")),
            "structured_output": bool(info.get("supports_response_schema")),
        }
    return out


def check_embedding(client: httpx.Client, root: str, auth: dict[str, str], model: str) -> str:
    r = client.post(f"{root}/v1/embeddings", headers=auth, json={"model": model, "input": ["one", "two"]})
    r.raise_for_status()
    vectors = [d["embedding"] for d in r.json()["data"]]
    expect(len(vectors) == 2 and len(vectors[0]) > 0, f"expected 2 vectors, got {len(vectors)}")
    expect(len(vectors[0]) == len(vectors[1]), "vectors of different dimensions")
    return f"2 vectors of {len(vectors[0])} dimensions"


CITY_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24}},
    "required": ["city"],
    "additionalProperties": False,
}


def check_structured_output(client: httpx.Client, root: str, auth: dict[str, str], model: str) -> str:
    body = _chat_body(model, 40) | {
        "messages": [{"role": "user", "content": "Name a city."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY_SCHEMA}},
    }
    r = client.post(f"{root}/v1/chat/completions", headers=auth, json=body)
    r.raise_for_status()
    value = json.loads(r.json()["choices"][0]["message"]["content"])
    expect(isinstance(value, dict) and set(value) == {"city"}, f"not the schema's object: {value!r}")
    expect(isinstance(value["city"], str), f"city is not a string: {value!r}")
    return f"JSON per the schema: {json.dumps(value)[:60]}"


def check_tool_call(
    client: httpx.Client, root: str, auth: dict[str, str], model: str, prefill: str = ""
) -> str:
    """tool_choice required: a call of the one tool whose arguments are the schema's object. `prefill`
    starts the assistant's turn (e.g. the template's tool-call tag) for a model that writes text
    before the call."""
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": CITY_SCHEMA}}
    messages: list[dict[str, str]] = [{"role": "user", "content": "What is the weather in Paris?"}]
    if prefill:
        messages.append({"role": "assistant", "content": prefill})
    body = _chat_body(model, 100) | {"messages": messages, "tools": [tool], "tool_choice": "required"}
    r = client.post(f"{root}/v1/chat/completions", headers=auth, json=body)
    r.raise_for_status()
    calls = r.json()["choices"][0]["message"].get("tool_calls") or []
    expect(calls, f"no tool call: {r.text[:300]}")
    expect(calls[0]["function"]["name"] == "get_weather", f"called {calls[0]['function']['name']!r}")
    arguments = json.loads(calls[0]["function"]["arguments"])
    expect(isinstance(arguments, dict) and isinstance(arguments.get("city"), str), f"arguments {arguments!r}")
    return f"get_weather({json.dumps(arguments)[:60]})"


CAPABILITY_CHECKS: dict[str, Callable[[httpx.Client, str, dict[str, str], str], str]] = {
    "embedding": check_embedding,
    "structured_output": check_structured_output,
    "tools": check_tool_call,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="gateway URL, e.g. https://127.0.0.1:4000/v1")
    parser.add_argument(
        "--ca-file",
        default=os.environ.get("SSL_CERT_FILE") or None,
        help="CA certificates to verify the gateway with (default $SSL_CERT_FILE, else the system's)",
    )
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument(
        "--key-file",
        help="a file with the key (sk- optional; the master key or a virtual key's "
        "<secrets dir>/litellm_keys/<alias>) or a dotenv with LITELLM_MASTER_KEY=",
    )
    keys.add_argument("--key-env", help="name of an environment variable holding the key")
    parser.add_argument("--model", help="model to call (default: the first one /v1/models lists)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument(
        "--tool-call-prefill",
        default="",
        help="text the tool-call check starts the assistant's turn with (a model's tool-call tag, for a "
        "model that writes text before a required call); a backslash-n is a newline",
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds per request")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def main_with(args: argparse.Namespace) -> int:
    try:
        if args.key_env:
            key = os.environ.get(args.key_env, "").strip()
            if not key:
                raise ValueError(f"${args.key_env} is empty or unset")
        else:
            key = read_key(Path(args.key_file))
    except (OSError, ValueError) as error:
        source = f"--key-env {args.key_env}" if args.key_env else f"--key-file {args.key_file}"
        print(f"smoke: {source}: {error}", file=sys.stderr)
        return 2
    report = run(
        args.url,
        key,
        args.model or None,
        max_tokens=args.max_tokens,
        timeout=args.timeout,
        ca_file=args.ca_file,
        tool_call_prefill=args.tool_call_prefill.replace("\\n", "\n"),
    )
    print(json.dumps(report.as_dict()) if args.json else report.render())
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main_with(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
