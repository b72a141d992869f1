"""Cloudinary over its HTTP API: signed uploads, destroying assets, deleting by prefix and folders.

Speaks the contract in ``shared/contracts/cloudinary/`` (Upload API and the Admin API subset);
the SDK is not used so that every request goes through one httpx client with timeouts, and every
failure becomes a :class:`CloudinaryError`.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

import httpx
from django.utils.translation import gettext as _

from tenants.errors import ApplicationError

API_BASE_URL = "https://api.cloudinary.com"
DELIVERY_BASE_URL = "https://res.cloudinary.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: Parameters that are sent but never signed.
UNSIGNED_PARAMS = frozenset({"file", "cloud_name", "resource_type", "api_key", "signature"})


class CloudinaryErrorCode(enum.StrEnum):
    CONFIG_INVALID = "config_invalid"
    API_ERROR = "api_error"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    BAD_RESPONSE = "bad_response"


class CloudinaryError(ApplicationError):
    """A request to Cloudinary failed; ``message`` is Cloudinary's own when it sent one."""

    code: CloudinaryErrorCode

    def __init__(self, code: CloudinaryErrorCode, message: str, *, status: int | None = None):
        super().__init__(code, message)
        self.status = status


@dataclass(frozen=True)
class CloudinaryConfig:
    cloud_name: str
    api_key: str
    api_secret: str

    @classmethod
    def from_url(cls, url: str) -> CloudinaryConfig:
        """Read ``cloudinary://<api_key>:<api_secret>@<cloud_name>`` (the CLOUDINARY_URL format)."""
        parts = urlsplit(url.strip())
        if parts.scheme != "cloudinary" or not (
            parts.hostname and parts.username and parts.password
        ):
            raise CloudinaryError(
                CloudinaryErrorCode.CONFIG_INVALID,
                _(
                    "CLOUDINARY_URL must look like cloudinary://<api_key>:<api_secret>@<cloud_name>."
                ),
            )
        # urlsplit lower-cases hostname; cloud names are case-sensitive, so take netloc's text.
        cloud_name = parts.netloc.rpartition("@")[2].split(":")[0]
        return cls(
            cloud_name=cloud_name,
            api_key=unquote(parts.username),
            api_secret=unquote(parts.password),
        )


@dataclass(frozen=True)
class UploadedAsset:
    """The fields of an upload response that the media library uses."""

    public_id: str
    resource_type: str
    format: str
    version: int
    secure_url: str
    bytes: int
    width: int | None = None
    height: int | None = None
    asset_id: str = ""

    @classmethod
    def from_response(cls, data: Mapping[str, Any]) -> UploadedAsset:
        try:
            return cls(
                public_id=data["public_id"],
                resource_type=data["resource_type"],
                format=data.get("format", ""),
                version=int(data["version"]),
                secure_url=data["secure_url"],
                bytes=int(data.get("bytes", 0)),
                width=data.get("width"),
                height=data.get("height"),
                asset_id=data.get("asset_id", ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CloudinaryError(
                CloudinaryErrorCode.BAD_RESPONSE, _("Cloudinary sent an unexpected answer.")
            ) from exc


def string_to_sign(params: Mapping[str, Any]) -> str:
    """``k=v`` pairs sorted and joined by ``&``; empty values and unsigned parameters left out.

    As pycloudinary's ``api_string_to_sign`` (signature version 2): lists are joined by commas,
    booleans written in lower case, and ``&`` inside a value is encoded as ``%26``.
    """
    pairs = []
    for key, value in params.items():
        if key in UNSIGNED_PARAMS or not value:
            continue
        if isinstance(value, list | tuple):
            text = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            text = str(value).lower()
        else:
            text = str(value)
        pairs.append(f"{key}={text}".replace("&", "%26"))
    return "&".join(sorted(pairs))


def api_sign(params: Mapping[str, Any], api_secret: str, *, algorithm: str = "sha1") -> str:
    """The ``signature`` of a signed Upload API call: hex SHA-1 (or SHA-256) of the string to
    sign followed by the API secret."""
    digest = hashlib.new(algorithm, (string_to_sign(params) + api_secret).encode("utf-8"))
    return digest.hexdigest()


class CloudinaryClient:
    """One product environment of Cloudinary. Thread-safe; reuses its connections."""

    def __init__(
        self,
        config: CloudinaryConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._clock = clock
        # Retries only repeat failed connection attempts, which never reached Cloudinary.
        self._http = httpx.Client(
            transport=transport or httpx.HTTPTransport(retries=2),
            timeout=timeout,
            headers={"User-Agent": "x8-network-media-library"},
        )

    # Upload API (signed parameters)

    def upload(
        self,
        *,
        file: IO[bytes],
        filename: str,
        public_id: str,
        resource_type: str,
        content_type: str | None = None,
    ) -> UploadedAsset:
        """Upload ``file`` as the asset ``public_id`` (``resource_type`` image, video or raw)."""
        params = self._signed({"public_id": public_id, "overwrite": True})
        response = self._send(
            "POST",
            self._api_url(resource_type, "upload"),
            data=params,
            files={"file": (filename, file, content_type)},
        )
        return UploadedAsset.from_response(self._json(response))

    def destroy(self, *, public_id: str, resource_type: str) -> bool:
        """Delete one asset (and its CDN copies). False when it was not there."""
        params = self._signed({"public_id": public_id, "type": "upload", "invalidate": True})
        response = self._send("POST", self._api_url(resource_type, "destroy"), data=params)
        return self._json(response).get("result") == "ok"

    # Admin API (HTTP Basic authentication)

    def delete_by_prefix(self, *, prefix: str, resource_type: str) -> dict[str, str]:
        """Delete every asset of ``resource_type`` whose public id starts with ``prefix``.

        Cloudinary deletes up to 1000 assets per call and answers ``partial: true`` with a
        ``next_cursor`` when more are left; the call is repeated with it until done.
        Returns ``{public_id: "deleted" | "not_found"}`` over all calls.
        """
        if not prefix.strip("/"):
            raise ValueError("Deleting by an empty prefix would delete everything")
        url = self._api_url("resources", resource_type, "upload")
        params: dict[str, str] = {"prefix": prefix, "invalidate": "true"}
        deleted: dict[str, str] = {}
        while True:
            data = self._json(self._send("DELETE", url, params=params, admin=True))
            deleted.update(data.get("deleted") or {})
            cursor = data.get("next_cursor")
            if not (data.get("partial") and cursor):
                return deleted
            params["next_cursor"] = cursor

    def delete_folder(self, *, path: str) -> list[str]:
        """Delete an empty folder (empty sub-folders go with it); returns the deleted paths.

        Cloudinary answers 400 while the folder still holds assets: delete them first.
        """
        url = self._api_url("folders", quote(path.strip("/"), safe="/"))
        return list(self._json(self._send("DELETE", url, admin=True)).get("deleted") or [])

    # Delivery

    def delivery_url(
        self, *, public_id: str, resource_type: str, extension: str = "", transformation: str = ""
    ) -> str:
        """``https://res.cloudinary.com/<cloud>/<type>/upload/[<transformation>/]<id>.<ext>``."""
        parts = [DELIVERY_BASE_URL, self.config.cloud_name, resource_type, "upload"]
        if transformation:
            parts.append(transformation)
        parts.append(quote(public_id, safe="/") + (f".{extension}" if extension else ""))
        return "/".join(parts)

    def fetch(self, url: str) -> bytes:
        """The bytes of a delivered asset."""
        response = self._send("GET", url)
        if not response.is_success:
            raise self._error(response)
        return response.content

    def delivered(self, url: str) -> bool:
        """Whether the delivery URL of an asset answers (False on 404)."""
        response = self._send("HEAD", url)
        if response.status_code == httpx.codes.NOT_FOUND:
            return False
        if not response.is_success:
            raise self._error(response)
        return True

    # Plumbing

    def _api_url(self, *path: str) -> str:
        return "/".join((API_BASE_URL, "v1_1", self.config.cloud_name, *path))

    def _signed(self, params: dict[str, Any]) -> dict[str, str]:
        """The form of a signed Upload API call: exactly the values sent are the ones signed."""
        form = {
            key: _form_value(value)
            for key, value in params.items()
            if value is not None and value != ""
        }
        form["timestamp"] = str(int(self._clock()))
        form["signature"] = api_sign(form, self.config.api_secret)
        form["api_key"] = self.config.api_key
        return form

    def _send(self, method: str, url: str, *, admin: bool = False, **kwargs: Any) -> httpx.Response:
        auth = (self.config.api_key, self.config.api_secret) if admin else None
        try:
            return self._http.request(method, url, auth=auth, **kwargs)
        except httpx.TimeoutException as exc:
            raise CloudinaryError(
                CloudinaryErrorCode.TIMEOUT,
                _("Cloudinary did not answer in time. Please try again."),
            ) from exc
        except httpx.TransportError as exc:
            raise CloudinaryError(
                CloudinaryErrorCode.UNAVAILABLE,
                _("Cloudinary could not be reached. Please try again later."),
            ) from exc

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if not response.is_success:
            raise self._error(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise CloudinaryError(
                CloudinaryErrorCode.BAD_RESPONSE,
                _("Cloudinary sent an unexpected answer."),
                status=response.status_code,
            )
        return data

    @staticmethod
    def _error(response: httpx.Response) -> CloudinaryError:
        """Cloudinary's ``{"error": {"message": ...}}`` as an error, or the bare HTTP status."""
        message = ""
        try:
            error = response.json().get("error")
            message = str(error.get("message", "")) if isinstance(error, dict) else ""
        except (ValueError, AttributeError):
            pass
        # The delivery network explains a missing or broken asset in a header instead.
        message = message or response.headers.get("x-cld-error", "")
        if not message:
            message = _("Cloudinary answered with HTTP status %(status)s.") % {
                "status": response.status_code
            }
        return CloudinaryError(CloudinaryErrorCode.API_ERROR, message, status=response.status_code)


def _form_value(value: Any) -> str:
    """A parameter as Cloudinary's SDK sends it: booleans as 1/0, lists comma-separated."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)
