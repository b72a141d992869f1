"""WAHA (WhatsApp HTTP API) over HTTP: sessions, pairing, sending and media downloads.

Speaks the contract in ``shared/contracts/waha/`` (WAHA 2026.7.1). Every request goes through
one httpx client with timeouts and carries the ``X-Api-Key`` header; every failure becomes a
:class:`WahaError`. The failures worth retrying later (timeouts, connection errors, 408, 429 and
5xx answers) are a :class:`WahaUnavailable`, so tasks can retry on that class alone.

The API key is never part of an error message, a ``repr`` or a log line, and it is only ever
sent to the origin of the base URL.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import httpx
from django.utils.translation import gettext as _

from tenants.errors import ApplicationError

API_KEY_HEADER = "X-Api-Key"
DEFAULT_EVENTS = ("message", "message.ack", "session.status")
#: Media URLs in webhooks point at WAHA's file store under this path.
FILES_PATH = "/api/files/"
DEFAULT_MAX_DOWNLOAD_BYTES = 32 * 1024 * 1024
#: Longest WAHA message copied into an error.
MAX_MESSAGE_LENGTH = 500
RETRYABLE_STATUSES = frozenset({408, 429})

JSON = dict[str, Any]


class WahaErrorCode(enum.StrEnum):
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    BAD_REQUEST = "bad_request"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too_large"
    UNEXPECTED = "unexpected"


class WahaError(ApplicationError):
    """A request to WAHA failed; ``message`` is WAHA's own when it sent one."""

    code: WahaErrorCode

    def __init__(self, code: WahaErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status


class WahaNotFound(WahaError):
    """WAHA answered 404: the session (or file) does not exist."""


class WahaUnavailable(WahaError):
    """WAHA could not be reached, timed out or failed on its side: worth retrying later."""


class RetriesPolicy(enum.StrEnum):
    CONSTANT = "constant"
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


@dataclass(frozen=True)
class QrCode:
    """The pairing QR code as an image: ``data:<mimetype>;base64,<data_base64>``."""

    mimetype: str
    data_base64: str

    @property
    def data_url(self) -> str:
        return f"data:{self.mimetype};base64,{self.data_base64}"


@dataclass(frozen=True)
class DownloadedFile:
    content: bytes
    content_type: str


def session_config(
    *,
    webhook_url: str,
    hmac_key: str,
    events: Iterable[str] = DEFAULT_EVENTS,
    retries_attempts: int = 10,
    retries_delay: int = 2,
    retries_policy: RetriesPolicy | str = RetriesPolicy.EXPONENTIAL,
    custom_headers: Mapping[str, str] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A session ``config`` with one signed webhook (``SessionConfig`` in the contract).

    With the defaults WAHA retries a failed delivery 10 times, exponentially from 2 seconds
    (about half an hour in all). ``metadata`` comes back in every webhook of the session.
    """
    webhook: JSON = {
        "url": webhook_url,
        "events": list(events),
        "hmac": {"key": hmac_key},
        "retries": {
            "delaySeconds": retries_delay,
            "attempts": retries_attempts,
            "policy": RetriesPolicy(retries_policy).value,
        },
    }
    if custom_headers:
        webhook["customHeaders"] = [
            {"name": name, "value": value} for name, value in custom_headers.items()
        ]
    config: JSON = {"webhooks": [webhook]}
    if metadata is not None:
        config["metadata"] = dict(metadata)
    return config


def message_id_of(data: Any) -> str | None:
    """The serialized id (``true_<chat>_<id>``) of a sent message as the engines report it.

    The contract's ``WAMessage`` has ``id`` as a string; WEBJS answers with whatsapp-web.js'
    message, whose ``id`` is ``{"_serialized": ...}``; NOWEB answers with Baileys' message,
    which only has a ``key``. None when the answer names no id.
    """
    if not isinstance(data, Mapping):
        return None
    ident = data.get("id")
    if isinstance(ident, str) and ident:
        return ident
    if isinstance(ident, Mapping):
        serialized = ident.get("_serialized")
        if isinstance(serialized, str) and serialized:
            return serialized
        remote = ident.get("remote")
        if isinstance(remote, Mapping):
            remote = remote.get("_serialized")
        if isinstance(remote, str) and ident.get("id"):
            return _serialize_key(bool(ident.get("fromMe")), remote, str(ident["id"]))
    key = data.get("key")
    if isinstance(key, Mapping) and key.get("id") and isinstance(key.get("remoteJid"), str):
        return _serialize_key(bool(key.get("fromMe")), key["remoteJid"], str(key["id"]))
    return message_id_of(data.get("_data")) if "_data" in data else None


def _serialize_key(from_me: bool, remote: str, ident: str) -> str:
    # WAHA's public ids name users as <phone>@c.us, where Baileys says @s.whatsapp.net.
    remote = remote.replace("@s.whatsapp.net", "@c.us")
    return f"{'true' if from_me else 'false'}_{remote}_{ident}"


class WahaClient:
    """One WAHA server. Thread-safe; reuses its connections. Use as a context manager or
    :meth:`close` it when done."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("The WAHA base URL must be an absolute http(s) URL")
        self.base_url = base_url.strip().rstrip("/")
        self._origin = _origin(parts)
        self._api_key = api_key
        # Retries only repeat failed connection attempts, which never reached WAHA.
        self._http = httpx.Client(
            transport=transport or httpx.HTTPTransport(retries=2),
            timeout=timeout,
            headers={"User-Agent": "x8-network-channels", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"<WahaClient {self.base_url}>"

    def __enter__(self) -> WahaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # Sessions

    def session_create(
        self,
        *,
        name: str,
        webhook_url: str,
        hmac_key: str,
        events: Iterable[str] = DEFAULT_EVENTS,
        retries_attempts: int = 10,
        retries_delay: int = 2,
        retries_policy: RetriesPolicy | str = RetriesPolicy.EXPONENTIAL,
        custom_headers: Mapping[str, str] | None = None,
        start: bool = True,
        metadata: Mapping[str, str] | None = None,
    ) -> JSON:
        """Create the session ``name`` with one signed webhook (see :func:`session_config`)
        and start it unless ``start`` is False. A name that exists is a ``conflict``."""
        config = session_config(
            webhook_url=webhook_url,
            hmac_key=hmac_key,
            events=events,
            retries_attempts=retries_attempts,
            retries_delay=retries_delay,
            retries_policy=retries_policy,
            custom_headers=custom_headers,
            metadata=metadata,
        )
        body = {"name": name, "start": start, "config": config}
        return self._object(self._request("POST", "/api/sessions", json=body))

    def session_get(self, *, name: str) -> JSON:
        """The ``SessionInfo`` of ``name``; :class:`WahaNotFound` when there is none."""
        return self._object(self._request("GET", _session_path(name)))

    def session_list(self, *, all: bool = True) -> list[JSON]:
        """Every session (``all``: STOPPED ones too)."""
        params = {"all": "true"} if all else None
        data = self._json(self._request("GET", "/api/sessions", params=params))
        if not isinstance(data, list):
            raise _unexpected()
        return data

    def session_update(self, *, name: str, config: Mapping[str, Any]) -> JSON:
        """Replace the whole ``config`` of ``name``; WAHA restarts it if it was running."""
        body = {"config": dict(config)}
        return self._object(self._request("PUT", _session_path(name), json=body))

    def session_delete(self, *, name: str) -> bool:
        """Stop, log out and delete ``name``. False when there was no such session."""
        try:
            self._request("DELETE", _session_path(name))
        except WahaNotFound:
            return False
        return True

    def session_start(self, *, name: str) -> JSON:
        return self._session_action(name, "start")

    def session_stop(self, *, name: str) -> JSON:
        return self._session_action(name, "stop")

    def session_logout(self, *, name: str) -> JSON:
        """Forget the linked phone but keep the session and its config."""
        return self._session_action(name, "logout")

    def session_restart(self, *, name: str) -> JSON:
        return self._session_action(name, "restart")

    def me(self, *, name: str) -> JSON | None:
        """The linked account (``{"id", "pushName", ...}``), None while not paired."""
        data = self._json(self._request("GET", f"{_session_path(name)}/me"))
        if data is None:
            return None
        if not isinstance(data, dict):
            raise _unexpected()
        return data

    # Pairing

    def qr(self, *, name: str) -> QrCode:
        """The current pairing QR code as a PNG. It rotates: fetch it again on every
        ``SCAN_QR_CODE`` status."""
        response = self._request(
            "GET",
            f"{_pairing_path(name)}/qr",
            params={"format": "image"},
            headers={"Accept": "application/json"},
        )
        content_type = _media_type(response.headers.get("content-type", ""))
        if content_type.startswith("image/"):
            # Older WAHA versions ignore Accept and send the image itself.
            encoded = base64.b64encode(response.content).decode("ascii")
            return QrCode(mimetype=content_type, data_base64=encoded)
        data = self._object(response)
        if not (isinstance(data.get("mimetype"), str) and isinstance(data.get("data"), str)):
            raise _unexpected(status=response.status_code)
        return QrCode(mimetype=data["mimetype"], data_base64=data["data"])

    def qr_raw(self, *, name: str) -> str:
        """The text the pairing QR code encodes, to draw it ourselves."""
        response = self._request("GET", f"{_pairing_path(name)}/qr", params={"format": "raw"})
        return self._string_field(response, "value")

    def request_code(self, *, name: str, phone_number: str) -> str:
        """A code (``ABCD-ABCD``) to pair by typing it on the phone instead of scanning.

        ``phone_number`` is international; anything but its digits is dropped.
        """
        digits = "".join(char for char in phone_number if char.isdigit())
        response = self._request(
            "POST", f"{_pairing_path(name)}/request-code", json={"phoneNumber": digits}
        )
        return self._string_field(response, "code")

    # Sending
    #
    # The send methods return the provider's message id, or None when WAHA sent the message
    # but did not say its id (some engine versions answer 201 with an empty body): the
    # message is out, so it must not be sent again.

    def send_text(
        self, *, session: str, chat_id: str, text: str, reply_to: str | None = None
    ) -> str | None:
        body: JSON = {"session": session, "chatId": chat_id, "text": text}
        if reply_to:
            body["reply_to"] = reply_to
        return self._send_message("/api/sendText", body)

    def send_image(self, **fields: Any) -> str | None:
        """Send an image; the fields are those of :meth:`send_media`."""
        return self.send_media(path="/api/sendImage", **fields)

    def send_file(self, **fields: Any) -> str | None:
        """Send a document; the fields are those of :meth:`send_media`."""
        return self.send_media(path="/api/sendFile", **fields)

    def send_media(
        self,
        *,
        path: str,
        session: str,
        chat_id: str,
        mimetype: str,
        filename: str,
        url: str | None = None,
        data: bytes | None = None,
        caption: str = "",
        reply_to: str | None = None,
    ) -> str | None:
        """Send a file WAHA fetches from ``url``, or the bytes ``data``; exactly one."""
        return self._send_message(
            path,
            _file_body(
                session=session,
                chat_id=chat_id,
                mimetype=mimetype,
                filename=filename,
                url=url,
                data=data,
                caption=caption,
                reply_to=reply_to,
            ),
        )

    def send_seen(
        self, *, session: str, chat_id: str, message_ids: Iterable[str] | None = None
    ) -> None:
        """Mark ``message_ids`` (or the whole chat) as read."""
        body: JSON = {"session": session, "chatId": chat_id}
        if message_ids is not None:
            body["messageIds"] = list(message_ids)
        self._request("POST", "/api/sendSeen", json=body)

    def start_typing(self, *, session: str, chat_id: str) -> None:
        self._request("POST", "/api/startTyping", json={"session": session, "chatId": chat_id})

    def stop_typing(self, *, session: str, chat_id: str) -> None:
        self._request("POST", "/api/stopTyping", json={"session": session, "chatId": chat_id})

    # Media

    def download(self, url: str, *, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES) -> DownloadedFile:
        """The bytes of a media URL from a webhook (``payload.media.url``).

        The API key goes only to the base URL's origin. A ``/api/files/`` URL on another
        origin is read from the base URL instead: WAHA names itself by its own setting
        (often ``http://localhost:3000``), which need not be how this client reaches it.
        Other http(s) URLs (S3, say) are fetched without the key. More than ``max_bytes``
        is refused with ``too_large``.
        """
        target, keyed = self._download_target(url)
        headers = {"Accept": "*/*"}
        if keyed:
            headers[API_KEY_HEADER] = self._api_key
        chunks: list[bytes] = []
        try:
            with self._http.stream(
                "GET", target, headers=headers, follow_redirects=not keyed
            ) as response:
                if not response.is_success:
                    response.read()
                    raise self._error(response)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise _too_large(max_bytes)
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_large(max_bytes)
                    chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise _timeout() from exc
        except httpx.TransportError as exc:
            raise _unreachable() from exc
        content_type = _media_type(response.headers.get("content-type", ""))
        return DownloadedFile(
            content=b"".join(chunks), content_type=content_type or "application/octet-stream"
        )

    # Plumbing

    def _session_action(self, name: str, action: str) -> JSON:
        return self._object(self._request("POST", f"{_session_path(name)}/{action}"))

    def _send_message(self, path: str, body: JSON) -> str | None:
        return message_id_of(self._json(self._request("POST", path, json=body)))

    def _download_target(self, url: str) -> tuple[str, bool]:
        """Where to fetch ``url`` from, and whether the API key may go with it."""
        absolute = urljoin(self.base_url + "/", url.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WahaError(
                WahaErrorCode.BAD_REQUEST, _("Only http(s) media URLs can be downloaded.")
            )
        if _origin(parts) == self._origin:
            return absolute, True
        if FILES_PATH in parts.path:
            path = parts.path[parts.path.index(FILES_PATH) :]
            query = f"?{parts.query}" if parts.query else ""
            return f"{self.base_url}{path}{query}", True
        return absolute, False

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                headers={**(headers or {}), API_KEY_HEADER: self._api_key},
            )
        except httpx.TimeoutException as exc:
            raise _timeout() from exc
        except httpx.TransportError as exc:
            raise _unreachable() from exc
        if not response.is_success:
            raise self._error(response)
        return response

    def _json(self, response: httpx.Response) -> Any:
        """The JSON of a successful answer; None for an empty body."""
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise _unexpected(status=response.status_code) from exc

    def _object(self, response: httpx.Response) -> JSON:
        data = self._json(response)
        if not isinstance(data, dict):
            raise _unexpected(status=response.status_code)
        return data

    def _string_field(self, response: httpx.Response, field: str) -> str:
        value = self._object(response).get(field)
        if not isinstance(value, str):
            raise _unexpected(status=response.status_code)
        return value

    def _error(self, response: httpx.Response) -> WahaError:
        status = response.status_code
        message = _waha_message(response)
        if self._api_key:
            message = message.replace(self._api_key, "***")
        if not message:
            message = _("WAHA answered with HTTP status %(status)s.") % {"status": status}
        if status in (401, 403):
            return WahaError(WahaErrorCode.UNAUTHORIZED, message, status=status)
        if status == 404:
            return WahaNotFound(WahaErrorCode.NOT_FOUND, message, status=status)
        if status in (409, 422):
            return WahaError(WahaErrorCode.CONFLICT, message, status=status)
        if status >= 500 or status in RETRYABLE_STATUSES:
            return WahaUnavailable(WahaErrorCode.UNAVAILABLE, message, status=status)
        if 400 <= status < 500:
            return WahaError(WahaErrorCode.BAD_REQUEST, message, status=status)
        return WahaError(WahaErrorCode.UNEXPECTED, message, status=status)


def _file_body(
    *,
    session: str,
    chat_id: str,
    mimetype: str,
    filename: str,
    url: str | None,
    data: bytes | None,
    caption: str,
    reply_to: str | None,
) -> JSON:
    """``{session, chatId, file: {mimetype, filename, url | data}, caption?, reply_to?}``."""
    if (url is None) == (data is None):
        raise ValueError("Give exactly one of url and data")
    file: JSON = {"mimetype": mimetype, "filename": filename}
    if url is not None:
        file["url"] = url
    else:
        file["data"] = base64.b64encode(data or b"").decode("ascii")
    body: JSON = {"session": session, "chatId": chat_id, "file": file}
    if caption:
        body["caption"] = caption
    if reply_to:
        body["reply_to"] = reply_to
    return body


def _session_path(name: str) -> str:
    return f"/api/sessions/{quote(name, safe='')}"


def _pairing_path(name: str) -> str:
    return f"/api/{quote(name, safe='')}/auth"


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def _waha_message(response: httpx.Response) -> str:
    """WAHA's explanation: ``message`` (a list for validation errors), ``error``, or the
    ``exception.message`` of a 500."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    exception = data.get("exception")
    for candidate in (
        data.get("message"),
        data.get("error"),
        exception.get("message") if isinstance(exception, dict) else None,
    ):
        if isinstance(candidate, dict):
            candidate = candidate.get("message")
        if isinstance(candidate, list):
            candidate = "; ".join(str(item) for item in candidate)
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:MAX_MESSAGE_LENGTH]
    return ""


def _timeout() -> WahaUnavailable:
    return WahaUnavailable(
        WahaErrorCode.UNAVAILABLE, _("The WhatsApp server did not answer in time.")
    )


def _unreachable() -> WahaUnavailable:
    return WahaUnavailable(
        WahaErrorCode.UNAVAILABLE, _("The WhatsApp server could not be reached.")
    )


def _unexpected(*, status: int | None = None) -> WahaError:
    return WahaError(
        WahaErrorCode.UNEXPECTED, _("The WhatsApp server sent an unexpected answer."), status=status
    )


def _too_large(max_bytes: int) -> WahaError:
    return WahaError(
        WahaErrorCode.TOO_LARGE,
        _("The file is larger than %(size)s bytes.") % {"size": max_bytes},
    )
