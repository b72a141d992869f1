"""HTTP front of the simulator: WAHA's routes under /api, the pages, and the /sim test hooks."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from simulators.waha.png import qr_png
from simulators.waha.signing import api_key_matches
from simulators.waha.simulator import ENVIRONMENT, ApiError, Simulator, sim_error

logger = logging.getLogger("simulators.waha.http")

STATIC = Path(__file__).parent / "static"
MAX_BODY_BYTES = 48 * 1024 * 1024
UNAUTHORIZED = {"message": "Unauthorized", "statusCode": 401}


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes

    def json(self) -> dict:
        if not self.raw_body.strip():
            return {}
        try:
            body = json.loads(self.raw_body)
        except ValueError as exc:
            raise ApiError(
                400, {"statusCode": 400, "message": f"Invalid JSON: {exc}", "error": "Bad Request"}
            ) from exc
        if not isinstance(body, dict):
            message = "Body must be a JSON object"
            raise ApiError(400, {"statusCode": 400, "message": message, "error": "Bad Request"})
        return body

    def wants_json(self) -> bool:
        return "application/json" in self.headers.get("accept", "")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None

    @classmethod
    def json(cls, data: object, status: int = 200) -> Response:
        body = json.dumps(data, ensure_ascii=False).encode()
        return cls(status, body, "application/json; charset=utf-8")

    @classmethod
    def empty(cls, status: int = 201) -> Response:
        return cls(status)


Handler = Callable[[Simulator, Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    needs_key: bool


ROUTES: list[Route] = []


def route(method: str, path: str, *, key: bool = True):
    """Register a handler; ``{name}`` in ``path`` matches one path segment."""
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, pattern, handler, key))
        return handler

    return register


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


# ------------------------------------------------------------------ sessions


@route("GET", "/api/sessions")
def sessions_list(sim: Simulator, request: Request) -> Response:
    apps = "apps" in request.query.get("expand", "")
    return Response.json(sim.session_list(all_sessions=_flag(request.query.get("all")), apps=apps))


@route("POST", "/api/sessions")
def sessions_create(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.session_create(request.json()), 201)


@route("GET", "/api/sessions/{session}")
def sessions_get(sim: Simulator, request: Request) -> Response:
    apps = "apps" in request.query.get("expand", "")
    return Response.json(sim.session_get(request.params["session"], apps=apps))


@route("PUT", "/api/sessions/{session}")
def sessions_update(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.session_update(request.params["session"], request.json()))


@route("DELETE", "/api/sessions/{session}")
def sessions_delete(sim: Simulator, request: Request) -> Response:
    sim.session_delete(request.params["session"])
    return Response.empty(200)


@route("GET", "/api/sessions/{session}/me")
def sessions_me(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.session_me(request.params["session"]))


@route("POST", "/api/sessions/{session}/{action}")
def sessions_action(sim: Simulator, request: Request) -> Response:
    actions = {
        "start": sim.session_start,
        "stop": sim.session_stop,
        "logout": sim.session_logout,
        "restart": sim.session_restart,
    }
    action = actions.get(request.params["action"])
    if action is None:
        return _cannot(request)
    return Response.json(action(request.params["session"]), 201)


# ---------------------------------------------------------------------- auth


@route("GET", "/api/{session}/auth/qr")
def auth_qr(sim: Simulator, request: Request) -> Response:
    session = request.params["session"]
    if request.query.get("format") == "raw":
        return Response.json({"value": sim.qr_value(session)})
    image = sim.qr_image(session)
    if request.wants_json():
        return Response.json({"mimetype": "image/png", "data": base64.b64encode(image).decode()})
    return Response(200, image, "image/png")


@route("POST", "/api/{session}/auth/request-code")
def auth_request_code(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.request_code(request.params["session"], request.json()), 201)


@route("GET", "/api/screenshot")
def screenshot(sim: Simulator, request: Request) -> Response:
    image = sim.screenshot(request.query.get("session") or "default")
    if request.wants_json():
        return Response.json({"mimetype": "image/png", "data": base64.b64encode(image).decode()})
    return Response(200, image, "image/png")


# ------------------------------------------------------------------- sending


@route("POST", "/api/sendText")
def send_text(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.send_text(request.json()), 201)


@route("POST", "/api/sendImage")
def send_image(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.send_file(request.json(), kind="image"), 201)


@route("POST", "/api/sendFile")
def send_file(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.send_file(request.json(), kind="document"), 201)


@route("POST", "/api/sendSeen")
def send_seen(sim: Simulator, request: Request) -> Response:
    sim.send_seen(request.json())
    return Response.empty()


@route("POST", "/api/startTyping")
def start_typing(sim: Simulator, request: Request) -> Response:
    sim.typing(request.json(), on=True)
    return Response.empty()


@route("POST", "/api/stopTyping")
def stop_typing(sim: Simulator, request: Request) -> Response:
    sim.typing(request.json(), on=False)
    return Response.empty()


@route("POST", "/api/{session}/presence")
def presence_set(sim: Simulator, request: Request) -> Response:
    sim.presence(request.params["session"], request.json())
    return Response.empty()


@route("GET", "/api/{session}/presence")
def presence_list(sim: Simulator, request: Request) -> Response:
    sim.session_me(request.params["session"])  # 404 for an unknown session
    return Response.json([])


# ---------------------------------------------------------- contacts, media


@route("GET", "/api/contacts/check-exists")
@route("GET", "/api/checkNumberStatus")
def check_exists(sim: Simulator, request: Request) -> Response:
    phone = request.query.get("phone", "")
    session = request.query.get("session") or "default"
    return Response.json(sim.check_exists(session=session, phone=phone))


@route("GET", "/api/{session}/lids")
def lids_list(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.lid_lookup(request.params["session"]))


@route("GET", "/api/{session}/lids/count")
def lids_count(sim: Simulator, request: Request) -> Response:
    return Response.json({"count": len(sim.lid_lookup(request.params["session"]))})


@route("GET", "/api/{session}/lids/pn/{phone}")
def lids_by_phone(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.lid_lookup(request.params["session"], phone=request.params["phone"]))


@route("GET", "/api/{session}/lids/{lid}")
def lids_by_lid(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.lid_lookup(request.params["session"], lid=request.params["lid"]))


@route("GET", "/api/files/{session}/{filename}")
def files_get(sim: Simulator, request: Request) -> Response:
    mimetype, content = sim.file(request.params["session"], request.params["filename"])
    return Response(200, content, mimetype)


@route("GET", "/api/server/version")
@route("GET", "/api/version")
def version(sim: Simulator, request: Request) -> Response:
    return Response.json(ENVIRONMENT)


@route("GET", "/ping", key=False)
def ping(sim: Simulator, request: Request) -> Response:
    return Response.json({"message": "pong"})


@route("GET", "/health", key=False)
def health(sim: Simulator, request: Request) -> Response:
    return Response.json({"status": "ok", "info": {}, "error": {}, "details": {}})


# ------------------------------------------------- pages and simulator hooks


def _page(name: str) -> Response:
    return Response(200, (STATIC / name).read_bytes(), "text/html; charset=utf-8")


@route("GET", "/", key=False)
def index_page(sim: Simulator, request: Request) -> Response:
    return _page("index.html")


@route("GET", "/phone", key=False)
def phone_page(sim: Simulator, request: Request) -> Response:
    return _page("phone.html")


@route("GET", "/favicon.ico", key=False)
def favicon(sim: Simulator, request: Request) -> Response:
    return Response.empty(204)


@route("GET", "/sim/state", key=False)
def sim_state(sim: Simulator, request: Request) -> Response:
    return Response.json(
        sim.snapshot(session=request.query.get("session"), phone=request.query.get("phone"))
    )


@route("GET", "/sim/qr/{session}", key=False)
def sim_qr(sim: Simulator, request: Request) -> Response:
    session = request.params["session"].removesuffix(".png")
    value = sim.current_qr(session)
    if not value:
        raise sim_error(404, f"session '{session}' shows no QR code")
    return Response(200, qr_png(value), "image/png")


@route("GET", "/sim/files/{session}/{filename}", key=False)
def sim_files(sim: Simulator, request: Request) -> Response:
    mimetype, content = sim.file(request.params["session"], request.params["filename"])
    return Response(200, content, mimetype)


@route("POST", "/sim/link", key=False)
def sim_link(sim: Simulator, request: Request) -> Response:
    body = request.json()
    return Response.json(
        sim.phone_link(
            qr=body.get("qr"),
            code=body.get("code"),
            phone=body.get("phone"),
            push_name=body.get("pushName"),
        )
    )


@route("POST", "/sim/sessions/{session}/scan", key=False)
def sim_scan(sim: Simulator, request: Request) -> Response:
    body = request.json()
    return Response.json(
        sim.phone_scan(
            request.params["session"], phone=body.get("phone"), push_name=body.get("pushName")
        )
    )


@route("POST", "/sim/sessions/{session}/incoming", key=False)
def sim_incoming(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.incoming(request.params["session"], request.json()), 201)


@route("POST", "/sim/sessions/{session}/read", key=False)
def sim_read(sim: Simulator, request: Request) -> Response:
    phone = request.json().get("phone") or ""
    return Response.json({"read": sim.phone_read(request.params["session"], phone)})


@route("POST", "/sim/sessions/{session}/logout", key=False)
def sim_logout(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.phone_logout(request.params["session"]))


@route("POST", "/sim/sessions/{session}/fail", key=False)
def sim_fail(sim: Simulator, request: Request) -> Response:
    return Response.json(sim.phone_fail(request.params["session"]))


def _cannot(request: Request) -> Response:
    return Response.json(
        {
            "message": f"Cannot {request.method} {request.path}",
            "error": "Not Found",
            "statusCode": 404,
        },
        404,
    )


# -------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(Response.json({"statusCode": 413, "message": "Payload Too Large"}, 413))
            self.close_connection = True
            return
        raw_body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        path = unquote(url.path).rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, path, {}, query, headers, raw_body)
        try:
            response = self._dispatch(request)
        except ApiError as exc:
            response = Response.json(exc.body, exc.status)
        except Exception:
            logger.exception("%s %s failed", self.command, self.path)
            response = Response.json(
                {"statusCode": 500, "message": "Internal server error", "error": "simulator bug"},
                500,
            )
        logger.info("%s %s → %s", self.command, self.path, response.status)
        self._send(response)

    def _dispatch(self, request: Request) -> Response:
        for candidate in ROUTES:
            match = candidate.pattern.match(request.path)
            if match is None or candidate.method != request.method:
                continue
            if candidate.needs_key:
                given = request.headers.get("x-api-key") or request.query.get("x-api-key")
                if not api_key_matches(self.server.api_key, given):
                    return Response.json(UNAUTHORIZED, 401)
            request.params = match.groupdict()
            return candidate.handler(self.server.simulator, request)
        return _cannot(request)

    def _send(self, response: Response) -> None:
        self.send_response(response.status, HTTPStatus(response.status).phrase)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if response.body:
            self.wfile.write(response.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, simulator: Simulator, api_key: str) -> None:
        super().__init__(address, _Handler)
        self.simulator = simulator
        self.api_key = api_key


class WahaSimServer:
    """A simulator plus its HTTP server. ``port=0`` picks a free port (see ``url``)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        api_key: str = "dev-waha-key",
        public_url: str | None = None,
        **simulator_options,
    ) -> None:
        self.simulator = Simulator(**simulator_options)
        self.httpd = _HTTPServer((host, port), self.simulator, api_key)
        self.host, self.port = self.httpd.server_address[:2]
        local = host in ("0.0.0.0", "127.0.0.1", "")  # noqa: S104 - naming, not binding
        self.url = f"http://{'localhost' if local else host}:{self.port}"
        self.simulator.public_url = (public_url or self.url).rstrip("/")
        self._thread: threading.Thread | None = None

    def start(self) -> WahaSimServer:
        """Serve in a background thread (tests)."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), name="waha-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()
        self.simulator.close()
