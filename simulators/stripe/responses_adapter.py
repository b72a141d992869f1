"""Answer the ``stripe`` library's HTTP calls in-process, from a Store, through ``responses``.

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        install(store, rsps)
        stripe.Customer.create(api_key="sk_test_x", email="a@example.com")

Every request goes through ``store.handle``, the same code path the HTTP server uses. One
callback is registered per HTTP method, so a test using only some methods needs
``assert_all_requests_are_fired=False`` (or the ``responses`` fixture's default of not checking).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import responses

from simulators.stripe.store import Store

METHODS = (responses.GET, responses.POST, responses.DELETE, responses.PUT, responses.PATCH)


def install(store: Store, rsps: responses.RequestsMock, base: str = "https://api.stripe.com"):
    """Register a callback for every method on ``base + /v1/...``; returns the pattern."""
    pattern = re.compile(re.escape(base.rstrip("/")) + "/v1/.*")

    def answer(request) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):  # a file-like or generator body
            body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        status, headers, payload = store.handle(
            request.method, url.path, url.query, dict(request.headers), body
        )
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length",)}
        return status, headers, payload

    for method in METHODS:
        rsps.add_callback(method, pattern, callback=answer, content_type=None)
    return pattern
