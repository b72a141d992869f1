"""A stand-in for a WAHA server in unit tests: records calls, answers like the contract."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from channels_app.waha.client import WahaClient

CONTRACT = Path(__file__).resolve().parents[3] / "shared" / "contracts" / "waha"


def contract(name: str) -> dict:
    return json.loads((CONTRACT / name).read_text())


@dataclass
class FakeWaha:
    """``fail`` maps "METHOD /path" to a list of status codes returned before succeeding."""

    sessions: dict[str, dict] = field(default_factory=dict)
    calls: list[tuple[str, str, dict | None]] = field(default_factory=list)
    fail: dict[str, list[int]] = field(default_factory=dict)
    down: bool = False
    sent: int = 0

    def client(self) -> WahaClient:
        return WahaClient("http://waha.test", "test-key", transport=httpx.MockTransport(self))

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, _body in self.calls]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        key = f"{request.method} {path}"
        self.calls.append((request.method, path, body))
        assert request.headers["X-Api-Key"] == "test-key"
        if self.fail.get(key):
            return httpx.Response(self.fail[key].pop(0), json={"message": "upstream trouble"})
        return self._answer(request.method, path, body)

    def _answer(self, method: str, path: str, body: dict | None) -> httpx.Response:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/api/sessions":
            name = body["name"]
            if name in self.sessions:
                return httpx.Response(422, json={"message": "Session already exists"})
            self.sessions[name] = {"name": name, "status": "SCAN_QR_CODE", "config": body["config"]}
            return httpx.Response(
                201, json={"name": name, "status": "STARTING", "config": body["config"]}
            )
        if parts[:2] == ["api", "sessions"] and len(parts) >= 3:
            name = parts[2]
            session = self.sessions.get(name)
            if method == "DELETE":
                self.sessions.pop(name, None)
                return httpx.Response(200, json={})
            if session is None:
                return httpx.Response(404, json={"message": "Session not found"})
            if len(parts) == 3:
                return httpx.Response(200, json={**session, "me": session.get("me")})
            action = parts[3]
            if action == "me":
                return httpx.Response(200, json=session.get("me"))
            if action in ("restart", "start"):
                session["status"] = "WORKING" if session.get("me") else "SCAN_QR_CODE"
            elif action == "logout":
                session["status"], session["me"] = "SCAN_QR_CODE", None
            elif action == "stop":
                session["status"] = "STOPPED"
            return httpx.Response(201, json={"name": name, "status": session["status"]})
        if len(parts) == 4 and parts[2:] == ["auth", "qr"]:
            if parts[1] not in self.sessions:
                return httpx.Response(404, json={"message": "Session not found"})
            return httpx.Response(200, json=contract("qr-base64-response.json"))
        if len(parts) == 4 and parts[2:] == ["auth", "request-code"]:
            return httpx.Response(201, json=contract("pairing-code-response.json"))
        if method == "POST" and path in ("/api/sendText", "/api/sendImage", "/api/sendFile"):
            self.sent += 1
            return httpx.Response(201, json={"id": f"true_{body['chatId']}_SENT{self.sent:04d}"})
        if method == "POST" and path in ("/api/sendSeen", "/api/startTyping", "/api/stopTyping"):
            return httpx.Response(201, json={})
        if method == "GET" and path.startswith("/api/files/"):
            return httpx.Response(
                200, content=b"\xff\xd8\xff\xe0 jpeg bytes", headers={"content-type": "image/jpeg"}
            )
        return httpx.Response(404, json={"message": f"no route {method} {path}"})
