"""The simulated WAHA server's state: sessions and their lifecycle, messages, media and webhooks.

Everything is in memory behind one lock; timers drive the lifecycle (STARTING → SCAN_QR_CODE,
QR rotation) and the acknowledgements of sent messages. ``server.py`` maps HTTP onto this class.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import logging
import mimetypes
import os
import re
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from simulators.waha import ids
from simulators.waha.png import blank_png, qr_png
from simulators.waha.webhooks import WebhookDispatcher, WebhookTarget

logger = logging.getLogger("simulators.waha")

VERSION = "2026.7.1"
ENGINE = "WEBJS"
ENVIRONMENT = {
    "version": VERSION,
    "engine": ENGINE,
    "tier": "CORE",
    "browser": "/usr/bin/chromium",
    "platform": "linux/x64",
    "worker": {"id": None},
}
ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
STOPPED, STARTING, SCAN_QR_CODE, WORKING, FAILED = (
    "STOPPED",
    "STARTING",
    "SCAN_QR_CODE",
    "WORKING",
    "FAILED",
)
WRONG_STATUS = "Session status is not as expected. Try again later or restart the session"
SESSION_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]*$")
SESSION_NAME_MAX = 54
CHAT_ID_RE = re.compile(r"^(\d{5,20})@(c\.us|lid|s\.whatsapp\.net)$")
DEFAULT_CUSTOMER_NAME = "Test Customer"
DEFAULT_BUSINESS_NAME = "Sim Business"
MAX_MEDIA_BYTES = 32 * 1024 * 1024
MAX_MESSAGES = 5000


class ApiError(Exception):
    """An HTTP error with WAHA's (NestJS's) JSON body."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def not_found(message: str = "Session not found") -> ApiError:
    return ApiError(404, {"statusCode": 404, "message": message, "error": "Not Found"})


def session_not_found(name: str) -> ApiError:
    return not_found(
        f"We didn't find a session with name '{name}'.\n"
        f"Please start it first by using POST /api/sessions/{name}/start request"
    )


def bad_request(*messages: str) -> ApiError:
    return ApiError(400, {"statusCode": 400, "message": list(messages), "error": "Bad Request"})


def unprocessable(message: str) -> ApiError:
    return ApiError(422, {"statusCode": 422, "message": message, "error": "Unprocessable Entity"})


def sim_error(status: int, message: str) -> ApiError:
    """Errors of the simulator's own /sim endpoints (not part of WAHA's contract)."""
    return ApiError(status, {"error": message})


@dataclass
class Timings:
    """Delays, in seconds; tests shrink them."""

    start_delay: float = 1.0  # STARTING → SCAN_QR_CODE (or WORKING when already linked)
    qr_interval: float = 20.0  # a new QR and a repeated SCAN_QR_CODE event
    status_wait: float = 5.0  # how long QR/send calls wait for a STARTING session, as WAHA does
    ack_server_delay: float = 0.3  # message.ack SERVER after a send
    ack_device_delay: float = 1.5  # message.ack DEVICE after a send
    typing_timeout: float = 25.0  # "typing…" disappears on the phone without stopTyping
    webhook_attempts: int = 15  # when a webhook has no retries config
    webhook_delay: float = 2.0
    webhook_timeout: float = 10.0
    media_download_timeout: float = 5.0


@dataclass
class Session:
    name: str
    config: dict
    status: str = STOPPED
    statuses: list[dict] = field(default_factory=list)
    account: dict | None = None  # {"id": "<phone>@c.us", "pushName": ...} once the phone linked
    qr: str | None = None
    pairing: dict | None = None  # {"code": "ABCD-EFGH", "phoneNumber": "..."}
    epoch: int = 0  # bumped on every lifecycle change; stale timers compare and do nothing
    activity_ms: int | None = None
    typing: dict[str, float] = field(default_factory=dict)  # customer phone → monotonic expiry

    @property
    def me(self) -> dict | None:
        return dict(self.account) if self.account and self.status == WORKING else None

    @property
    def running(self) -> bool:
        return self.status != STOPPED


def _now_ms() -> int:
    return int(time.time() * 1000)


def _digits(value: object) -> str:
    text = str(value or "").split("@", 1)[0]
    return re.sub(r"[\s+()-]", "", text)


def _business_phone(name: str) -> str:
    number = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**7
    return f"7900{number:07d}"


def _extension(mimetype: str) -> str:
    guessed = mimetypes.guess_extension(mimetype.split(";")[0].strip()) or ".bin"
    return {".jpe": ".jpg", ".oga": ".ogg"}.get(guessed, guessed)


def _validate_config(config: object) -> dict:
    """Check ``config`` like WAHA's DTO validation and fill what WAHA shows as null."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise bad_request("config must be an object")
    config = copy.deepcopy(config)
    webhooks = config.get("webhooks")
    if webhooks is None:
        return config
    if not isinstance(webhooks, list):
        raise bad_request("config.webhooks must be an array")
    errors = []
    for index, hook in enumerate(webhooks):
        where = f"config.webhooks.{index}"
        if not isinstance(hook, dict):
            errors.append(f"{where} must be an object")
            continue
        if not isinstance(hook.get("url"), str) or not hook["url"]:
            errors.append(f"{where}.url must be a URL address")
        events = hook.get("events")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            errors.append(f"{where}.events must be an array")
        hmac = hook.get("hmac")
        if hmac is not None and not (isinstance(hmac, dict) and isinstance(hmac.get("key"), str)):
            errors.append(f"{where}.hmac.key must be a string")
        retries = hook.get("retries")
        if retries is not None:
            if not isinstance(retries, dict):
                errors.append(f"{where}.retries must be an object")
            else:
                if retries.get("policy") not in (None, "constant", "linear", "exponential"):
                    errors.append(
                        f"{where}.retries.policy must be one of: linear, exponential, constant"
                    )
                for key in ("delaySeconds", "attempts"):
                    value = retries.get(key)
                    if value is not None and (
                        isinstance(value, bool) or not isinstance(value, int | float) or value < 0
                    ):
                        errors.append(f"{where}.retries.{key} must be a number")
        headers = hook.get("customHeaders")
        if headers is not None and not (
            isinstance(headers, list)
            and all(isinstance(h, dict) and "name" in h and "value" in h for h in headers)
        ):
            errors.append(f"{where}.customHeaders must be an array of {{name, value}}")
        for key in ("hmac", "retries", "customHeaders"):
            hook.setdefault(key, None)
    if errors:
        raise bad_request(*errors)
    return config


class Simulator:
    """State and behaviour of one simulated WAHA server (engine WEBJS, any number of sessions)."""

    def __init__(
        self,
        *,
        public_url: str = "http://localhost:3000",
        timings: Timings | None = None,
        state_path: str | os.PathLike | None = None,
        global_webhooks: list[dict] | None = None,
        send_id_style: str = "string",
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.timings = timings or Timings()
        self.state_path = Path(state_path) if state_path else None
        self.send_id_style = send_id_style
        self.dispatcher = WebhookDispatcher(timeout=self.timings.webhook_timeout)
        self.global_webhooks = [
            self._target(hook)
            for hook in _validate_config({"webhooks": global_webhooks or []})["webhooks"]
        ]
        self.sessions: dict[str, Session] = {}
        self.messages: list[dict] = []
        self.files: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.contacts: dict[str, dict] = {}  # customer phone → {"name", "lid"}
        self.lids: dict[str, str] = {}  # lid digits → phone digits
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._timers: set[threading.Timer] = set()
        self._closed = False
        self._load()

    # ----------------------------------------------------------------- plumbing

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for timer in list(self._timers):
                timer.cancel()
            self._timers.clear()
        self.dispatcher.close()

    def _schedule(self, delay: float, fn, *args) -> None:
        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
                if self._closed:
                    return
                try:
                    fn(*args)
                except Exception:
                    logger.exception("simulator timer failed")

        timer = threading.Timer(max(0.0, delay), run)
        timer.daemon = True
        with self._lock:
            if self._closed:
                return
            self._timers.add(timer)
        timer.start()

    def _target(self, hook: dict) -> WebhookTarget:
        return WebhookTarget.from_config(
            hook,
            default_attempts=self.timings.webhook_attempts,
            default_delay=self.timings.webhook_delay,
        )

    def _emit(self, session: Session, event: str, payload: dict) -> None:
        envelope = {"id": ids.event_id(), "timestamp": _now_ms(), "event": event}
        envelope["session"] = session.name
        metadata = session.config.get("metadata")
        if metadata is not None:
            envelope["metadata"] = metadata
        envelope.update(
            {"me": session.me, "payload": payload, "engine": ENGINE, "environment": ENVIRONMENT}
        )
        hooks = [self._target(h) for h in session.config.get("webhooks") or []]
        for target in hooks + self.global_webhooks:
            if target.wants(event):
                self.dispatcher.dispatch(target=target, envelope=envelope, session=session.name)

    def _get(self, name: str) -> Session:
        session = self.sessions.get(name)
        if session is None:
            raise not_found()
        return session

    def _wait_for(self, name: str, expected: str) -> Session:
        """WAHA waits a little for a starting session to reach the status a call needs."""
        deadline = time.monotonic() + self.timings.status_wait
        while True:
            session = self.sessions.get(name)
            if session is None:
                raise session_not_found(name)
            if session.status == expected:
                return session
            left = deadline - time.monotonic()
            if session.status != STARTING or left <= 0:
                raise ApiError(
                    422,
                    {
                        "error": WRONG_STATUS,
                        "session": name,
                        "status": session.status,
                        "expected": [expected],
                    },
                )
            self._changed.wait(left)

    # ------------------------------------------------------------ persistence

    def _load(self) -> None:
        if not self.state_path or not self.state_path.exists():
            return
        data = json.loads(self.state_path.read_text() or "{}")
        self.lids.update(data.get("lids") or {})
        self.contacts.update(data.get("contacts") or {})
        with self._lock:
            for saved in data.get("sessions") or []:
                session = Session(
                    name=saved["name"],
                    config=saved.get("config") or {},
                    account=saved.get("account"),
                )
                session.statuses.append({"status": STOPPED, "timestamp": _now_ms()})
                self.sessions[session.name] = session
                if saved.get("running"):
                    self._start(session)
        logger.info("loaded %d session(s) from %s", len(self.sessions), self.state_path)

    def _persist(self) -> None:
        if not self.state_path:
            return
        data = {
            "sessions": [
                {
                    "name": s.name,
                    "config": s.config,
                    "account": s.account,
                    "running": s.running,
                }
                for s in self.sessions.values()
            ],
            "lids": self.lids,
            "contacts": self.contacts,
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.state_path.parent, prefix=".waha-sim-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, self.state_path)

    # ------------------------------------------------------------- lifecycle

    def _set_status(self, session: Session, status: str) -> None:
        session.status = status
        session.statuses.append({"status": status, "timestamp": _now_ms()})
        del session.statuses[:-10]
        payload = {
            "name": session.name,
            "status": status,
            "statuses": list(session.statuses),
            "data": None,
        }
        self._emit(session, "session.status", payload)
        self._changed.notify_all()
        self._persist()
        logger.info("session %s: %s", session.name, status)

    def _start(self, session: Session) -> None:
        session.epoch += 1
        session.qr = session.pairing = None
        self._set_status(session, STARTING)
        self._schedule(self.timings.start_delay, self._boot, session, session.epoch)

    def _boot(self, session: Session, epoch: int) -> None:
        if session.epoch != epoch or self.sessions.get(session.name) is not session:
            return
        if session.account:
            self._set_status(session, WORKING)
        else:
            self._show_qr(session, epoch)

    def _show_qr(self, session: Session, epoch: int) -> None:
        if session.epoch != epoch or self.sessions.get(session.name) is not session:
            return
        if session.status not in (STARTING, SCAN_QR_CODE):
            return
        session.qr = ids.qr_value()
        self._set_status(session, SCAN_QR_CODE)
        self._schedule(self.timings.qr_interval, self._show_qr, session, epoch)

    def _stop(self, session: Session) -> None:
        session.epoch += 1
        session.qr = session.pairing = None
        session.typing.clear()
        if session.status != STOPPED:
            self._set_status(session, STOPPED)

    def _link(self, session: Session, *, phone: str | None, push_name: str | None) -> dict:
        if session.status not in (STARTING, SCAN_QR_CODE):
            raise sim_error(409, f"session '{session.name}' is {session.status}, not SCAN_QR_CODE")
        phone = _digits(phone) or _business_phone(session.name)
        if not phone.isdigit():
            raise sim_error(400, "phone must be digits")
        session.account = {"id": f"{phone}@c.us", "pushName": push_name or DEFAULT_BUSINESS_NAME}
        session.epoch += 1
        session.qr = session.pairing = None
        self._set_status(session, WORKING)
        return self._session_info(session)

    # ---------------------------------------------------------- session API

    def _session_info(self, session: Session, *, apps: bool = False) -> dict:
        info = {
            "name": session.name,
            "status": session.status,
            "config": copy.deepcopy(session.config),
            "me": session.me,
            "engine": {"engine": ENGINE},
            "presence": None,
            "timestamps": {"activity": session.activity_ms},
        }
        if apps:
            info["apps"] = []
        return info

    def session_list(self, *, all_sessions: bool, apps: bool = False) -> list[dict]:
        with self._lock:
            return [
                self._session_info(s, apps=apps)
                for s in self.sessions.values()
                if all_sessions or s.status != STOPPED
            ]

    def session_get(self, name: str, *, apps: bool = False) -> dict:
        with self._lock:
            return self._session_info(self._get(name), apps=apps)

    def session_create(self, body: dict) -> dict:
        name = body.get("name") or ids.session_name()
        if not isinstance(name, str) or not SESSION_NAME_RE.match(name):
            raise bad_request(
                "Session name can only contain alphanumeric characters, hyphens, and underscores "
                "(a-z, A-Z, 0-9, -, _) or be empty"
            )
        if len(name) > SESSION_NAME_MAX:
            raise bad_request(f"name must be shorter than or equal to {SESSION_NAME_MAX} chars")
        start = body.get("start", True)
        if not isinstance(start, bool):
            raise bad_request("start must be a boolean value")
        config = _validate_config(body.get("config"))
        with self._lock:
            if name in self.sessions:
                raise unprocessable(f"Session '{name}' already exists. Use PUT to update it.")
            session = Session(name=name, config=config)
            session.statuses.append({"status": STOPPED, "timestamp": _now_ms()})
            self.sessions[name] = session
            self._persist()
            if start:
                self._start(session)
            return self._session_info(session)

    def session_update(self, name: str, body: dict) -> dict:
        config = _validate_config(body.get("config"))
        with self._lock:
            session = self._get(name)
            was_running = session.running
            self._stop(session)
            session.config = config
            self._persist()
            if was_running:
                self._start(session)
            return self._session_info(session)

    def session_delete(self, name: str) -> None:
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                return
            self._stop(session)
            session.account = None
            del self.sessions[name]
            self._persist()

    def session_start(self, name: str) -> dict:
        with self._lock:
            session = self._get(name)
            if not session.running:
                self._start(session)
            return self._session_info(session)

    def session_stop(self, name: str) -> dict:
        with self._lock:
            session = self._get(name)
            self._stop(session)
            return self._session_info(session)

    def session_logout(self, name: str) -> dict:
        with self._lock:
            session = self._get(name)
            was_running = session.running
            self._stop(session)
            session.account = None
            self._persist()
            if was_running:
                self._start(session)
            return self._session_info(session)

    def session_restart(self, name: str) -> dict:
        with self._lock:
            session = self._get(name)
            self._stop(session)
            self._start(session)
            return self._session_info(session)

    def session_me(self, name: str) -> dict | None:
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise session_not_found(name)
            return session.me

    # ------------------------------------------------------------------ auth

    def qr_value(self, name: str) -> str:
        with self._lock:
            return self._wait_for(name, SCAN_QR_CODE).qr

    def current_qr(self, name: str) -> str | None:
        """The QR value on screen right now, without WAHA's status checks (for the pages)."""
        with self._lock:
            session = self.sessions.get(name)
            return session.qr if session else None

    def qr_image(self, name: str) -> bytes:
        return qr_png(self.qr_value(name))

    def screenshot(self, name: str) -> bytes:
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise session_not_found(name)
            if session.status == SCAN_QR_CODE and session.qr:
                return qr_png(session.qr)
            return blank_png()

    def request_code(self, name: str, body: dict) -> dict:
        phone = body.get("phoneNumber")
        if not isinstance(phone, str) or not _digits(phone).isdigit():
            raise bad_request("phoneNumber must be a string")
        with self._lock:
            session = self._wait_for(name, SCAN_QR_CODE)
            session.pairing = {"code": ids.pairing_code(), "phoneNumber": _digits(phone)}
            return {"code": session.pairing["code"]}

    # -------------------------------------------------------- the phone side

    def phone_scan(self, name: str, *, phone: str | None = None, push_name: str | None = None):
        """The business's phone scanned this session's QR code."""
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise sim_error(404, f"no session '{name}'")
            return self._link(session, phone=phone, push_name=push_name)

    def phone_link(self, *, qr: str | None = None, code: str | None = None, **account) -> dict:
        """Link whichever session shows this QR value or pairing code."""
        with self._lock:
            if qr:
                for session in self.sessions.values():
                    if session.qr and session.qr == qr.strip():
                        return self._link(
                            session, phone=account.get("phone"), push_name=account.get("push_name")
                        )
                raise sim_error(404, "no session shows this QR code (it may have rotated)")
            if code:
                wanted = re.sub(r"[^A-Z0-9]", "", code.upper())
                for session in self.sessions.values():
                    pairing = session.pairing
                    if pairing and pairing["code"].replace("-", "") == wanted:
                        return self._link(
                            session,
                            phone=pairing["phoneNumber"],
                            push_name=account.get("push_name"),
                        )
                raise sim_error(404, "no session waits for this pairing code")
            raise sim_error(400, "give a QR value or a pairing code")

    def phone_logout(self, name: str) -> dict:
        """ "Log out" of the linked device on the phone: WAHA sees it and asks for a new QR code."""
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise sim_error(404, f"no session '{name}'")
            if not session.account:
                raise sim_error(409, f"session '{name}' is not linked")
            session.account = None
            session.epoch += 1
            session.typing.clear()
            self._persist()
            if session.running:
                self._start(session)
            return self._session_info(session)

    def phone_fail(self, name: str) -> dict:
        """The engine crashed / the device was disconnected: FAILED until restarted."""
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise sim_error(404, f"no session '{name}'")
            if not session.running:
                raise sim_error(409, f"session '{name}' is STOPPED")
            session.epoch += 1
            session.qr = session.pairing = None
            self._set_status(session, FAILED)
            return self._session_info(session)

    def phone_read(self, name: str, phone: str) -> int:
        """The customer opened the chat: the business's messages there become READ."""
        phone = _digits(phone)
        with self._lock:
            session = self.sessions.get(name)
            if session is None or session.status != WORKING:
                return 0
            unread = [
                m
                for m in self.messages
                if m["session"] == name and m["fromMe"] and m["phone"] == phone and m["ack"] < 3
            ]
            for message in unread:
                self._advance_ack(session, message, 3)
            return len(unread)

    def incoming(self, name: str, body: dict) -> dict:
        """A customer writes to the business: ``message`` and ``message.any`` webhooks."""
        phone = _digits(body.get("from"))
        if not phone.isdigit() or not 5 <= len(phone) <= 20:
            raise sim_error(400, "from must be the customer's phone number (digits)")
        text = body.get("text") or body.get("body") or ""
        customer_name = body.get("name") or DEFAULT_CUSTOMER_NAME
        lid = _digits(body.get("lid"))
        if lid and not lid.isdigit():
            raise sim_error(400, "lid must be digits")
        addressing = body.get("addressing") or "pn"
        if addressing not in ("pn", "lid") or (addressing == "lid" and not lid):
            raise sim_error(400, "addressing is 'pn' or 'lid' (and then needs a lid)")
        media = body.get("media")
        content = None
        if media:
            if not isinstance(media, dict) or not media.get("data"):
                raise sim_error(400, "media needs {mimetype, filename, data: <base64>}")
            try:
                content = base64.b64decode(media["data"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise sim_error(400, "media.data is not base64") from exc
        with self._lock:
            session = self.sessions.get(name)
            if session is None:
                raise sim_error(404, f"no session '{name}'")
            if session.status != WORKING:
                raise sim_error(409, f"session '{name}' is {session.status}, not WORKING")
            contact = self.contacts.setdefault(phone, {})
            contact["name"] = customer_name
            if lid:
                contact["lid"] = lid
                self.lids[lid] = phone
            chat_id = f"{lid}@lid" if addressing == "lid" else f"{phone}@c.us"
            message_id = ids.incoming_message_id(chat_id)
            record = {
                "id": message_id,
                "session": name,
                "phone": phone,
                "chatId": chat_id,
                "fromMe": False,
                "body": text,
                "timestamp": int(time.time()),
                "ack": 1,
                "ackEmitted": 1,
                "type": "chat",
                "media": None,
                "file": None,
                "name": customer_name,
                "lid": lid or None,
                "seen": False,
                "replyTo": body.get("replyTo"),
            }
            if content is not None:
                mimetype = media.get("mimetype") or "application/octet-stream"
                self._attach(record, mimetype, media.get("filename"), content)
            self._remember(record)
            payload = self._wa_message(session, record)
            self._emit(session, "message.any", payload)
            self._emit(session, "message", payload)
            session.activity_ms = _now_ms()
            return payload

    # --------------------------------------------------------------- sending

    def _working(self, body: dict) -> Session:
        name = body.get("session") or "default"
        if not isinstance(name, str):
            raise bad_request("session must be a string")
        return self._wait_for(name, WORKING)

    def _chat(self, body: dict) -> tuple[str, str]:
        """Validate ``chatId``; return it (``@s.whatsapp.net`` becomes ``@c.us``) and the phone."""
        chat_id = body.get("chatId")
        match = CHAT_ID_RE.match(chat_id) if isinstance(chat_id, str) else None
        if not match:
            raise bad_request("chatId must look like <digits>@c.us or <digits>@lid")
        number, server = match.groups()
        if server == "lid":
            return chat_id, self.lids.get(number, number)
        return f"{number}@c.us", number

    def _send(self, session: Session, record: dict) -> dict:
        self._remember(record)
        session.typing.pop(record["phone"], None)
        session.activity_ms = _now_ms()
        message = self._wa_message(session, record)
        self._emit(session, "message.any", {**message, "source": "api"})
        epoch = session.epoch
        self._schedule(self.timings.ack_server_delay, self._ack_later, session, record, 1, epoch)
        self._schedule(self.timings.ack_device_delay, self._ack_later, session, record, 2, epoch)
        if self.send_id_style == "webjs":
            message["id"] = message["_data"]["id"]
        return message

    def _outgoing(self, session: Session, chat_id: str, phone: str, body: dict) -> dict:
        reply_to = body.get("reply_to")
        key = body.get("id")
        return {
            "id": ids.outgoing_message_id(chat_id, key if isinstance(key, str) and key else None),
            "session": session.name,
            "phone": phone,
            "chatId": chat_id,
            "fromMe": True,
            "body": "",
            "timestamp": int(time.time()),
            "ack": 1,
            "ackEmitted": 0,
            "type": "chat",
            "media": None,
            "file": None,
            "name": None,
            "lid": None,
            "seen": False,
            "replyTo": reply_to if isinstance(reply_to, str) else None,
        }

    def send_text(self, body: dict) -> dict:
        text = body.get("text")
        if not isinstance(text, str):
            raise bad_request("text must be a string")
        with self._lock:
            chat_id, phone = self._chat(body)
            session = self._working(body)
            record = self._outgoing(session, chat_id, phone, body)
            record["body"] = text
            return self._send(session, record)

    def send_file(self, body: dict, *, kind: str) -> dict:
        """``kind`` is "image" (sendImage) or "document" (sendFile)."""
        file = body.get("file")
        if not isinstance(file, dict):
            raise bad_request("file must be an object")
        mimetype = file.get("mimetype")
        if not isinstance(mimetype, str) or "/" not in mimetype:
            raise bad_request("file.mimetype must be a string")
        url, data = file.get("url"), file.get("data")
        if not (isinstance(url, str) and url) and not (isinstance(data, str) and data):
            raise bad_request("file must have either url or data (base64)")
        caption = body.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise bad_request("caption must be a string")
        content = None
        if data:
            try:
                content = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise bad_request("file.data must be base64 encoded") from exc
        with self._lock:
            chat_id, phone = self._chat(body)
            self._working(body)  # fail fast before a download
        if content is None:
            content = self._download(url)
        with self._lock:
            session = self._working(body)
            record = self._outgoing(session, chat_id, phone, body)
            record["body"] = caption or ""
            record["type"] = kind
            filename = file.get("filename") if isinstance(file.get("filename"), str) else None
            if content is not None:
                self._attach(record, mimetype, filename, content)
            else:  # could not fetch it: keep the link so the phone page can still show it
                record["media"] = {"url": url, "mimetype": mimetype, "filename": filename}
            return self._send(session, record)

    def _download(self, url: str) -> bytes | None:
        if not url.startswith(("http://", "https://")):
            return None
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "WAHA simulator"})  # noqa: S310
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=self.timings.media_download_timeout
            ) as response:
                return response.read(MAX_MEDIA_BYTES + 1)[:MAX_MEDIA_BYTES]
        except (OSError, ValueError) as exc:
            logger.warning("could not download %s: %s (kept as a link)", url, exc)
            return None

    def send_seen(self, body: dict) -> None:
        single = body.get("messageId")  # deprecated, still accepted
        ids_wanted = body.get("messageIds") or ([single] if single else [])
        if not isinstance(ids_wanted, list):
            raise bad_request("messageIds must be an array")
        with self._lock:
            _, phone = self._chat(body)
            session = self._working(body)
            for message in self.messages:
                if (
                    message["session"] == session.name
                    and not message["fromMe"]
                    and message["phone"] == phone
                    and (not ids_wanted or message["id"] in ids_wanted)
                ):
                    message["seen"] = True
            session.activity_ms = _now_ms()

    def typing(self, body: dict, *, on: bool) -> None:
        with self._lock:
            _, phone = self._chat(body)
            session = self._working(body)
            if on:
                session.typing[phone] = time.monotonic() + self.timings.typing_timeout
            else:
                session.typing.pop(phone, None)

    def presence(self, name: str, body: dict) -> None:
        presence = body.get("presence")
        if presence not in ("offline", "online", "typing", "recording", "paused"):
            raise bad_request(
                "presence must be one of the following values: "
                "offline, online, typing, recording, paused"
            )
        if presence in ("typing", "recording", "paused"):
            self.typing({**body, "session": name}, on=presence != "paused")
        else:
            with self._lock:
                self._wait_for(name, WORKING)

    def check_exists(self, *, session: str, phone: str) -> dict:
        number = _digits(phone)
        with self._lock:
            self._wait_for(session or "default", WORKING)
        if not number.isdigit():
            return {"numberExists": False}
        return {"numberExists": True, "chatId": f"{number}@c.us"}

    def lid_lookup(self, session: str, *, lid: str | None = None, phone: str | None = None):
        with self._lock:
            if session not in self.sessions:
                raise session_not_found(session)
            if lid is not None:
                number = _digits(lid)
                pn = self.lids.get(number)
                return {"lid": f"{number}@lid", "pn": f"{pn}@c.us" if pn else None}
            if phone is not None:
                number = _digits(phone)
                found = next((lid for lid, pn in self.lids.items() if pn == number), None)
                return {"lid": f"{found}@lid" if found else None, "pn": f"{number}@c.us"}
            return [{"lid": f"{lid}@lid", "pn": f"{pn}@c.us"} for lid, pn in self.lids.items()]

    # --------------------------------------------------------------- messages

    def _remember(self, record: dict) -> None:
        self.messages.append(record)
        if len(self.messages) > MAX_MESSAGES:
            del self.messages[: len(self.messages) - MAX_MESSAGES]

    def _attach(self, record: dict, mimetype: str, filename: str | None, content: bytes) -> None:
        stored = f"{record['id']}{_extension(mimetype)}"
        self.files[(record["session"], stored)] = (mimetype, content)
        record["file"] = stored
        record["media"] = {
            "url": f"{self.public_url}/api/files/{record['session']}/{stored}",
            "mimetype": mimetype,
            "filename": filename,
        }
        if record["type"] == "chat":
            record["type"] = "image" if mimetype.startswith("image/") else "document"

    def file(self, session: str, filename: str) -> tuple[str, bytes]:
        with self._lock:
            found = self.files.get((session, filename))
        if found is None:
            raise not_found(f"Cannot GET /api/files/{session}/{filename}")
        return found

    def _ack_later(self, session: Session, record: dict, level: int, epoch: int) -> None:
        if session.epoch != epoch or session.status != WORKING:
            return  # the device went away before WhatsApp acknowledged
        self._advance_ack(session, record, level)

    def _advance_ack(self, session: Session, record: dict, level: int) -> None:
        """Emit every missing ``message.ack`` up to ``level``, in order (SERVER, DEVICE, READ)."""
        while record["ackEmitted"] < level:
            record["ackEmitted"] += 1
            record["ack"] = max(record["ack"], record["ackEmitted"])
            ack = record["ackEmitted"]
            payload = {
                "id": record["id"],
                "from": session.account["id"] if session.account else None,
                "to": record["chatId"],
                "participant": None,
                "fromMe": True,
                "ack": ack,
                "ackName": ACK_NAMES[ack],
            }
            self._emit(session, "message.ack", payload)

    def _wa_message(self, session: Session, record: dict) -> dict:
        """The WAMessage (WEBJS flavour) for a stored message."""
        me_id = session.account["id"] if session.account else None
        incoming = not record["fromMe"]
        chat_id = record["chatId"]
        key = ids.message_key(record["id"])
        media = dict(record["media"], error=None) if record["media"] else None
        raw = {
            "id": {
                "fromMe": not incoming,
                "remote": chat_id,
                "id": key,
                "_serialized": record["id"],
            },
            "body": record["body"],
            "type": record["type"],
            "t": record["timestamp"],
            "from": chat_id if incoming else me_id,
            "to": me_id if incoming else chat_id,
            "self": "in" if incoming else "out",
            "ack": record["ack"],
            "isNewMsg": True,
            "star": False,
            "broadcast": False,
            "mentionedJidList": [],
            "isForwarded": False,
            "hasReaction": False,
            "links": [],
        }
        if incoming:
            raw["notifyName"] = record["name"]
        if media:
            raw.update(
                mimetype=media["mimetype"], filename=media["filename"], caption=record["body"]
            )
        if incoming and record["lid"]:
            # Real WEBJS gives no alternative id; NOWEB puts it here. GET /api/{session}/lids/{lid}
            # is the engine-independent way to map a lid to a phone number.
            pn_jid, lid_jid = f"{record['phone']}@s.whatsapp.net", f"{record['lid']}@lid"
            lid_addressed = chat_id.endswith("@lid")
            raw["key"] = {
                "remoteJid": lid_jid if lid_addressed else pn_jid,
                "remoteJidAlt": pn_jid if lid_addressed else lid_jid,
                "addressingMode": "lid" if lid_addressed else "pn",
                "fromMe": False,
                "id": key,
            }
        reply_to = None
        if record["replyTo"]:
            quoted = next((m for m in self.messages if m["id"] == record["replyTo"]), None)
            reply_to = {
                "id": ids.message_key(record["replyTo"]),
                "participant": (me_id if quoted and quoted["fromMe"] else chat_id),
                "body": quoted["body"] if quoted else None,
            }
        message = {
            "id": record["id"],
            "timestamp": record["timestamp"],
            "from": chat_id if incoming else me_id,
            "fromMe": not incoming,
            "to": me_id if incoming else chat_id,
            "participant": None,
            "body": record["body"],
            "hasMedia": media is not None,
            "media": media,
            "ack": record["ack"],
            "ackName": ACK_NAMES[record["ack"]],
            "location": None,
            "vCards": [],
            "replyTo": reply_to,
            "_data": raw,
        }
        if media:
            message["mediaUrl"] = media["url"]
        return message

    # ------------------------------------------------------------ inspection

    def _public_message(self, record: dict) -> dict:
        message = {k: v for k, v in record.items() if k not in ("ackEmitted", "file")}
        message["ackName"] = ACK_NAMES[record["ack"]]
        if record["media"]:
            message["media"] = dict(record["media"])
            if record["file"]:
                message["media"]["simUrl"] = f"/sim/files/{record['session']}/{record['file']}"
        return message

    def snapshot(self, *, session: str | None = None, phone: str | None = None) -> dict:
        """Everything a test or the phone page wants to see (GET /sim/state)."""
        phone = _digits(phone) if phone else None
        now = time.monotonic()
        with self._lock:
            sessions = []
            for s in self.sessions.values():
                sessions.append(
                    {
                        **self._session_info(s),
                        "statuses": list(s.statuses),
                        "account": s.account,
                        "qr": s.qr,
                        "pairing": s.pairing,
                        "typing": sorted(p for p, until in s.typing.items() if until > now),
                    }
                )
            messages = [
                self._public_message(m)
                for m in self.messages
                if (session is None or m["session"] == session)
                and (phone is None or m["phone"] == phone)
            ]
            return {
                "sessions": sessions,
                "messages": messages,
                "contacts": copy.deepcopy(self.contacts),
                "lids": dict(self.lids),
                "deliveries": self.dispatcher.recent(),
            }
