"""A local OpenAI-compatible chat-completions server for tests.

Runs the standard library's threaded HTTP server on 127.0.0.1 (a free port) and answers
``POST /v1/chat/completions`` the way OpenAI does, or the way a test asks it to misbehave:
another status, a delay, a body that is not JSON, other choices. It records every request so
tests can read the prompt and headers the assistant sent.

    with FakeOpenAI() as server:
        settings.ASSISTANT_AI_BASE_URL = server.base_url
        server.reply = "The lamp costs 1 990 ₽."
        ...
        server.requests[-1].messages
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"


@dataclass
class RecordedRequest:
    method: str
    path: str
    #: Header names in lower case.
    headers: dict[str, str]
    body: bytes
    json: Any = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.json or {}).get("messages", []))

    def contents(self, role: str) -> list[str]:
        """The text of every message with ``role`` ("system", "user", "assistant")."""
        return [m.get("content", "") for m in self.messages if m.get("role") == role]


@dataclass
class FakeOpenAI:
    """Settings a test may change before the assistant calls the server."""

    reply: str | None = "Hello! How can I help?"
    #: Answer with the last user message of the request (a model parroting its prompt).
    echo_prompt: bool = False
    prompt_tokens: int = 120
    completion_tokens: int = 30
    #: Send no ``usage`` object at all.
    omit_usage: bool = False
    finish_reason: str = "stop"
    #: Seconds to wait before answering (a hung endpoint); cut short when the server stops.
    delay: float = 0.0
    status: int = 200
    #: Sent as it is instead of a chat completion (garbage, an HTML error page...).
    raw_body: bytes | None = None
    #: Sent instead of the one generated choice (e.g. ``[]``).
    choices: list[Any] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is not the place for access logs."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What ``ASSISTANT_AI_BASE_URL`` should be: ``http://127.0.0.1:<port>/v1``."""
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # --- answering ----------------------------------------------------------------------

    def completion(self) -> dict[str, Any]:
        """The chat completion the server sends, in OpenAI's response shape."""
        choices = self.choices
        content = self.reply
        if self.echo_prompt and self.requests:
            users = self.requests[-1].contents("user")
            content = users[-1] if users else ""
        if choices is None:
            choices = [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                }
            ]
        body: dict[str, Any] = {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": (self.requests[-1].json or {}).get("model", "") if self.requests else "",
            "choices": choices,
        }
        if not self.omit_usage:
            body["usage"] = {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
            }
        return body

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        self.requests.append(
            RecordedRequest(
                method=handler.command,
                path=handler.path,
                headers={name.lower(): value for name, value in handler.headers.items()},
                body=raw,
                json=parsed,
            )
        )
        if self.delay:
            self._released.wait(self.delay)
        if handler.command != "POST" or handler.path != COMPLETIONS_PATH:
            status, body = 404, _error("Unknown request URL", "invalid_request_error")
        elif self.raw_body is not None:
            status, body = self.status, self.raw_body
        elif not 200 <= self.status < 300:
            status, body = self.status, _error("The server had an error", "server_error")
        else:
            status, body = self.status, json.dumps(self.completion()).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


def _error(message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "code": None}}).encode()
