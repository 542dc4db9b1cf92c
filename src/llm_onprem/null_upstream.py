"""A zero-latency OpenAI-compatible upstream, **for the gateway benchmark only** (`llm-onprem
gateway-cost`): it answers every chat completion at once with one fixed token, so that what a request
through the gateway costs beyond a request to it is the gateway's own work. It is never a stand-in for
a completion in a test: the tests' completions come from real backends.

Standard library only (it runs on a gateway host's system Python, beside LiteLLM): HTTP/1.1 with
keep-alive, `POST /v1/chat/completions` (streamed as server-sent events when the body says
`"stream": true`, with the usage chunk when `stream_options.include_usage`), `GET /v1/models`, and
`GET /health`. Run: `python3 -m llm_onprem.null_upstream --port 18080`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence

MODEL = "null"
TOKEN = "ok"  # noqa: S105 (the completion's one token, not a secret)
MAX_BODY = 1 << 20


def completion(request: dict[str, object]) -> bytes:
    """The JSON body of a one-token, non-streamed chat completion."""
    now = int(time.time())
    return json.dumps(
        {
            "id": f"chatcmpl-null-{time.monotonic_ns()}",
            "object": "chat.completion",
            "created": now,
            "model": str(request.get("model") or MODEL),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": TOKEN},
                    "finish_reason": "length",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


def stream(request: dict[str, object]) -> bytes:
    """The server-sent events of the same completion streamed: the token, the end, usage if asked."""
    ident = f"chatcmpl-null-{time.monotonic_ns()}"
    base = {"id": ident, "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = str(request.get("model") or MODEL)
    events = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": TOKEN}}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]},
    ]
    options = request.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        events.append({**base, "choices": [], "usage": usage})
    lines = [f"data: {json.dumps(event)}\n\n" for event in events] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


def response(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def answer(method: str, path: str, body: bytes) -> bytes:
    """The whole HTTP response to one request."""
    path = path.split("?", 1)[0]
    if method == "POST" and path.rstrip("/").endswith("/chat/completions"):
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return response("400 Bad Request", b'{"error": {"message": "body is not JSON"}}')
        if not isinstance(request, dict):
            return response("400 Bad Request", b'{"error": {"message": "body is not an object"}}')
        if request.get("stream"):
            return response("200 OK", stream(request), "text/event-stream")
        return response("200 OK", completion(request))
    if method == "GET" and path.rstrip("/").endswith("/models"):
        return response("200 OK", json.dumps({"object": "list", "data": [{"id": MODEL}]}).encode())
    if method == "GET" and path == "/health":
        return response("200 OK", b"{}")
    return response("404 Not Found", b'{"error": {"message": "not found"}}')


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = [*lines[0].split(" ", 2), "", ""][:3]
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
            length = int(headers.get("content-length") or 0)
            if length > MAX_BODY:
                writer.write(response("413 Payload Too Large", b"{}"))
                break
            body = await reader.readexactly(length) if length else b""
            writer.write(answer(method, path, body))
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(serve_connection, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18080)
    args = parser.parse_args(argv)
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
