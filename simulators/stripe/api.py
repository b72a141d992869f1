"""Stripe's /v1 API: authentication, "down" mode, idempotency, expansion, and the endpoints.

Parameters arrive form-encoded (bodies for POST, query strings for GET and DELETE) and are
checked as Stripe checks them: an unknown one is refused (``parameter_unknown``), a missing one
too (``parameter_missing``). A real Stripe parameter whose effect the simulator does not
reproduce is refused with a message saying so, rather than silently ignored.
"""

from __future__ import annotations

import base64
import copy
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from simulators.stripe import billing, forms, ids, objects
from simulators.stripe.errors import StripeError, invalid, missing, no_such, not_simulated, unknown
from simulators.stripe.forms import as_bool, as_dict, as_int, as_list, as_str, metadata_merge
from simulators.stripe.routes import Request, Response, Route, route

if TYPE_CHECKING:
    from simulators.stripe.store import Store

IDEMPOTENCY_SECONDS = 24 * 3600
LIST_PARAMS = {"limit", "starting_after", "ending_before"}
_MISSING = object()


# ---------------------------------------------------------------- plumbing


def call(store: Store, request: Request, found: Route | None, path_params: dict) -> Response:
    request_id = ids.request_id()
    headers = {
        "Request-Id": request_id,
        "Stripe-Version": request.headers.get("stripe-version") or store.api_version,
    }
    idempotency_key = None
    try:
        if store.down:
            raise StripeError(
                500,
                "Stripe is down (the simulator's /sim/down switch is on); nothing was done.",
                type="api_error",
            )
        api_key = _authenticate(store, request)
        _check_account(store, request, api_key)
        if found is None or found.area != "api":
            raise StripeError(
                404,
                f"Unrecognized request URL ({request.method}: {request.path}). The Stripe "
                "simulator does not implement this endpoint; see simulators/stripe/README.md.",
            )
        request.path_params = path_params
        request.params = _params(request)
        if request.method == "POST":
            idempotency_key = request.headers.get("idempotency-key") or None
        if idempotency_key:
            replay = _idempotent_replay(store, api_key, idempotency_key, request, request_id)
            if replay is not None:
                return replay
        store.request_context = (
            {"id": request_id, "idempotency_key": idempotency_key}
            if request.method != "GET"
            else None
        )
        result = found.handler(store, request)
        expand = as_list(request.params, "expand") or []
        for path in expand:
            _expand(store, result, path)
        response = Response.json(result)
    except StripeError as error:
        response = Response.json(error.body(), error.status)
        if error.status >= 500 and store.down_should_retry is not None:
            headers["Stripe-Should-Retry"] = "true" if store.down_should_retry else "false"
    finally:
        store.request_context = None
    response.headers.update(headers)
    if idempotency_key and 200 <= response.status < 300:
        store.idempotency[(api_key, idempotency_key)] = {
            "method": request.method,
            "path": request.path,
            "params": request.params,
            "status": response.status,
            "body": response.body,
            "request_id": request_id,
            "created": store.now(),
        }
    return response


def _authenticate(store: Store, request: Request) -> str:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    key = credentials.strip() if scheme.lower() == "bearer" else ""
    if scheme.lower() == "basic" and credentials:
        try:
            key = base64.b64decode(credentials).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or "
            "we can help at https://support.stripe.com/.",
        )
    valid = key == store.api_key if store.api_key else key.startswith("sk_test_")
    if not valid:
        raise StripeError(401, f"Invalid API Key provided: {_redact(key)}")
    return key


def _redact(key: str) -> str:
    prefix = key[: key.find("_", 3) + 1] if key.count("_") >= 2 else ""
    tail = key[-4:] if len(key) > len(prefix) + 4 else ""
    return f"{prefix}{'*' * max(0, len(key) - len(prefix) - len(tail))}{tail}"


def _check_account(store: Store, request: Request, api_key: str) -> None:
    account = request.headers.get("stripe-account")
    if account and account != store.account["id"]:
        raise _no_access(api_key, account)


def _no_access(api_key: str, account: str) -> StripeError:
    return StripeError(
        403,
        f"The provided key '{_redact(api_key)}' does not have access to account '{account}' "
        "(or that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def _params(request: Request) -> dict:
    params = forms.parse(request.query)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if request.body and "json" in content_type:
            raise StripeError(
                400,
                "Invalid request: Stripe's v1 API takes application/x-www-form-urlencoded "
                "parameters, not JSON.",
            )
        params.update(forms.parse(request.body))
    return params


def _idempotent_replay(
    store: Store, api_key: str, key: str, request: Request, request_id: str
) -> Response | None:
    saved = store.idempotency.get((api_key, key))
    if saved is None:
        return None
    if saved["created"] + IDEMPOTENCY_SECONDS < store.now():
        del store.idempotency[(api_key, key)]
        return None
    if (saved["method"], saved["path"]) != (request.method, request.path):
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{saved['method']} {saved['path']}' vs '{request.method} "
            f"{request.path}'). Try using a key other than '{key}' if you meant to execute a "
            "different request.",
            type="idempotency_error",
        )
    if saved["params"] != request.params:
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request.",
            type="idempotency_error",
        )
    return Response(
        saved["status"],
        saved["body"],
        {
            "Content-Type": "application/json",
            "Request-Id": request_id,
            "Original-Request": saved["request_id"],
            "Idempotent-Replayed": "true",
            "Stripe-Version": request.headers.get("stripe-version") or store.api_version,
        },
    )


def allow(params: dict, supported: set[str], known: set[str] = frozenset()) -> None:
    """Refuse parameters Stripe does not know, and those whose effect is not simulated."""
    for name in params:
        if name == "expand" or name in supported:
            continue
        if name in known:
            raise not_simulated(name)
        raise unknown(name)


# ---------------------------------------------------------------- expansion


def _expand(store: Store, result: dict, path: str) -> None:
    parts = path.split(".")
    if len(parts) > 4:
        raise invalid("expand", f"You cannot expand more than 4 levels of a property ({path}).")
    _expand_at(store, result, parts, path)


def _cannot(path: str) -> StripeError:
    return invalid("expand", f"This property cannot be expanded ({path}).")


def _expand_at(store: Store, node: Any, parts: list[str], path: str) -> None:
    if node is None:
        return
    if isinstance(node, list):
        for element in node:
            _expand_at(store, element, parts, path)
        return
    if not isinstance(node, dict):
        raise _cannot(path)
    key, rest = parts[0], parts[1:]
    if node.get("object") == "list" and key == "data":
        if not rest:
            raise _cannot(path)
        for element in node["data"]:
            _expand_at(store, element, rest, path)
        return
    if key not in node:
        value = _includable(store, node, key)
        if value is _MISSING:
            raise _cannot(path)
        node[key] = value
    else:
        value = node[key]
        if isinstance(value, str):
            target = store.find(value)
            if target is None or key == "id":
                raise _cannot(path)
            node[key] = store.render(target)
        elif isinstance(value, list):
            node[key] = [
                store.render(store.objects[v]) if isinstance(v, str) and v in store.objects else v
                for v in value
            ]
    if rest:
        _expand_at(store, node[key], rest, path)


def _includable(store: Store, node: dict, key: str) -> Any:
    """Properties Stripe leaves out unless expanded."""
    kind = node.get("object")
    if kind == "customer":
        customer_id = node["id"]
        if key == "sources":
            return objects.empty_list(f"/v1/customers/{customer_id}/sources")
        if key == "tax_ids":
            return objects.empty_list(f"/v1/customers/{customer_id}/tax_ids")
        if key == "subscriptions":
            found = [
                store.render(s) for s in store.all("subscription") if s["customer"] == customer_id
            ]
            return objects.list_of(found, f"/v1/customers/{customer_id}/subscriptions")
        if key == "cash_balance":
            return None
        if key == "invoice_credit_balance":
            return {}
    if kind == "price":
        if key == "currency_options":
            return {
                node["currency"]: {
                    "custom_unit_amount": None,
                    "tax_behavior": node["tax_behavior"],
                    "unit_amount": node["unit_amount"],
                    "unit_amount_decimal": node["unit_amount_decimal"],
                }
            }
        if key == "tiers":
            return [] if node["billing_scheme"] == "tiered" else None
    if kind == "checkout.session" and key == "line_items":
        return _session_line_items(store, node["id"])
    if kind == "item" and key in ("discounts", "taxes"):
        return []
    if kind is None and key == "breakdown" and "amount_discount" in node:
        return {"discounts": [], "taxes": []}
    return _MISSING


# -------------------------------------------------------------------- lists


def matching(store: Store, kind: str, params: dict, fields: tuple[str, ...]) -> list[dict]:
    """Objects of ``kind`` equal to each of ``fields`` the list request gives (newest first)."""
    wanted = {name: as_str(params, name) for name in fields}
    wanted = {name: value for name, value in wanted.items() if value is not None}
    return [
        obj
        for obj in store.all(kind)
        if all(obj.get(name) == value for name, value in wanted.items())
    ]


def paginate(store: Store, items: list[dict], params: dict, url: str) -> dict:
    """A page of ``items`` (newest first) as Stripe's list object."""
    limit = as_int(params, "limit")
    if limit is None:
        limit = 10
    if not 1 <= limit <= 100:
        raise invalid(
            "limit", "Invalid limit: must be between 1 and 100", code="parameter_invalid_integer"
        )
    ids_ = [item["id"] for item in items]
    after = as_str(params, "starting_after")
    before = as_str(params, "ending_before")
    if after and before:
        raise invalid("ending_before", "You may only specify one of: starting_after, ending_before")
    if after:
        if after not in ids_:
            raise invalid("starting_after", f"Invalid starting_after id: {after}")
        window = items[ids_.index(after) + 1 :]
        page, more = window[:limit], len(window) > limit
    elif before:
        if before not in ids_:
            raise invalid("ending_before", f"Invalid ending_before id: {before}")
        window = items[: ids_.index(before)]
        page, more = window[-limit:], len(window) > limit
    else:
        page, more = items[:limit], len(items) > limit
    return objects.list_of([store.render(item) for item in page], url, more)


# -------------------------------------------------------------------- search

SEARCH_FIELDS = {
    "customers": ("customer", {"email", "name", "phone"}),
    "subscriptions": ("subscription", {"status"}),
    "invoices": ("invoice", {"customer", "status", "subscription", "number", "total"}),
    "prices": ("price", {"active", "currency", "lookup_key", "product", "type"}),
    "products": ("product", {"active", "name", "description", "url"}),
}
_CLAUSE = re.compile(
    r"""^(?:metadata\[(['"])(?P<key>.+?)\1\]|(?P<field>[a-z_]+))(?P<op>[:~])(['"])(?P<value>.*)\5$"""
)


def _search_clauses(query: str, fields: set[str]) -> list[tuple[str | None, str | None, str, str]]:
    clauses = []
    for text in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.match(text.strip())
        if match is None or (match["field"] and match["field"] not in fields):
            raise invalid(
                "query",
                f"The Stripe simulator's search understands `field:'value'`, `field~'value'` and "
                f"`metadata['key']:'value'` clauses joined by AND, on {', '.join(sorted(fields))} "
                f"and metadata; it cannot run `{text}`.",
            )
        clauses.append((match["field"], match["key"], match["op"], match["value"]))
    return clauses


def _search_matches(obj: dict, clauses) -> bool:
    for field, key, op, value in clauses:
        actual = obj.get("metadata", {}).get(key) if key is not None else obj.get(field)
        if isinstance(actual, bool):
            actual = "true" if actual else "false"
        actual = "" if actual is None else str(actual)
        if op == ":" and actual != value:
            return False
        if op == "~" and value.lower() not in actual.lower():
            return False
    return True


def _search(collection: str):
    object_type, fields = SEARCH_FIELDS[collection]

    def handler(store: Store, request: Request) -> dict:
        params = request.params
        allow(params, {"query", "limit", "page"})
        query = as_str(params, "query", required=True)
        if as_str(params, "page"):
            raise not_simulated("page")
        clauses = _search_clauses(query, fields)
        limit = as_int(params, "limit") or 10
        found = [
            obj
            for obj in store.all(object_type)
            if not obj.get("deleted") and _search_matches(obj, clauses)
        ]
        return {
            "object": "search_result",
            "data": [store.render(obj) for obj in found[:limit]],
            "has_more": len(found) > limit,
            "next_page": None,
            "url": f"/v1/{collection}/search",
        }

    return handler


for _collection in SEARCH_FIELDS:
    # Registered before "/v1/<collection>/{id}" so that "search" is not taken for an id.
    route("GET", f"/v1/{_collection}/search", area="api")(_search(_collection))


# ------------------------------------------------------------------ account


@route("GET", "/v1/account", area="api")
def account_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(store.account)


@route("GET", "/v1/accounts/{account}", area="api")
def account_retrieve_by_id(store: Store, request: Request) -> dict:
    allow(request.params, set())
    if request.path_params["account"] != store.account["id"]:
        raise _no_access(_authenticate(store, request), request.path_params["account"])
    return store.render(store.account)


# ---------------------------------------------------------------- customers

CUSTOMER_FIELDS = {
    "email",
    "name",
    "metadata",
    "description",
    "phone",
    "preferred_locales",
    "address",
    "shipping",
    "tax_exempt",
    "business_name",
    "individual_name",
    "invoice_settings",
    "validate",
}
CUSTOMER_KNOWN = {
    "balance",
    "cash_balance",
    "invoice_prefix",
    "next_invoice_sequence",
    "payment_method",
    "source",
    "tax",
    "tax_id_data",
    "test_clock",
    "default_source",
}


def _customer_fields(store: Store, customer: dict, params: dict) -> None:
    email = as_str(params, "email")
    if email is not None:
        if email and "@" not in email:
            raise invalid("email", f"Invalid email address: {email}", code="email_invalid")
        customer["email"] = email or None
    for name in ("name", "description", "phone", "business_name", "individual_name"):
        if name in params:
            customer[name] = as_str(params, name) or None
    if "preferred_locales" in params:
        customer["preferred_locales"] = as_list(params, "preferred_locales") or []
    if "tax_exempt" in params:
        value = as_str(params, "tax_exempt") or "none"
        if value not in ("none", "exempt", "reverse"):
            raise invalid("tax_exempt", "Invalid tax_exempt: must be one of none, exempt, reverse")
        customer["tax_exempt"] = value
    for name in ("address", "shipping"):
        if name in params:
            value = as_dict(params, name)
            customer[name] = value or None
    if "invoice_settings" in params:
        settings = as_dict(params, "invoice_settings") or {}
        for key, value in settings.items():
            if key != "default_payment_method":
                raise not_simulated(f"invoice_settings[{key}]")
            if value:
                pm = store.find(value)
                if pm is None or pm["object"] != "payment_method":
                    raise no_such(
                        "PaymentMethod", value, "invoice_settings[default_payment_method]"
                    )
                if pm["customer"] != customer["id"]:
                    raise invalid(
                        "invoice_settings[default_payment_method]",
                        "The PaymentMethod provided does not belong to this customer.",
                    )
            customer["invoice_settings"]["default_payment_method"] = value or None
    customer["metadata"] = metadata_merge(customer["metadata"], params.get("metadata"))


@route("POST", "/v1/customers", area="api")
def customer_create(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, CUSTOMER_FIELDS, CUSTOMER_KNOWN)
    customer = objects.customer(
        customer_id=ids.new_id("cus", ids.SHORT),
        created=store.now(),
        email=None,
        name=None,
        metadata={},
    )
    _customer_fields(store, customer, {k: v for k, v in params.items() if k != "invoice_settings"})
    store.put(customer)
    store.emit("customer.created", customer)
    return store.render(customer)


def _customer(store: Store, request: Request) -> dict:
    return store.get(request.path_params["customer"], "customer")


@route("GET", "/v1/customers/{customer}", area="api")
def customer_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(_customer(store, request))


@route("POST", "/v1/customers/{customer}", area="api")
def customer_update(store: Store, request: Request) -> dict:
    allow(request.params, CUSTOMER_FIELDS, CUSTOMER_KNOWN)
    customer = _customer(store, request)
    if customer.get("deleted"):
        raise no_such("customer", customer["id"])
    before = store.render(customer)
    _customer_fields(store, customer, request.params)
    changed = billing.diff(before, store.render(customer))
    if changed:
        store.emit("customer.updated", customer, changed)
    return store.render(customer)


@route("DELETE", "/v1/customers/{customer}", area="api")
def customer_delete(store: Store, request: Request) -> dict:
    allow(request.params, set())
    customer = _customer(store, request)
    if customer.get("deleted"):
        raise no_such("customer", customer["id"])
    for subscription in store.all("subscription"):
        if subscription["customer"] == customer["id"] and subscription["status"] != "canceled":
            billing.subscription_cancel(store, subscription)
    store.emit("customer.deleted", customer)
    store.objects[customer["id"]] = {"id": customer["id"], "object": "customer", "deleted": True}
    return {"id": customer["id"], "object": "customer", "deleted": True}


@route("GET", "/v1/customers", area="api")
def customer_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, LIST_PARAMS | {"email"}, {"created", "test_clock"})
    email = as_str(params, "email")
    found = [
        c
        for c in store.all("customer")
        if not c.get("deleted") and (email is None or c["email"] == email)
    ]
    return paginate(store, found, params, "/v1/customers")


@route("GET", "/v1/customers/{customer}/payment_methods", area="api")
def customer_payment_methods(store: Store, request: Request) -> dict:
    allow(request.params, LIST_PARAMS | {"type"}, {"allow_redisplay"})
    customer = _customer(store, request)
    kind = as_str(request.params, "type")
    found = [
        pm
        for pm in store.all("payment_method")
        if pm["customer"] == customer["id"] and kind in (None, pm["type"])
    ]
    return paginate(store, found, request.params, f"/v1/customers/{customer['id']}/payment_methods")


# -------------------------------------------------------- products, prices

PRODUCT_FIELDS = {
    "name",
    "active",
    "description",
    "metadata",
    "images",
    "url",
    "statement_descriptor",
    "unit_label",
    "tax_code",
    "shippable",
    "marketing_features",
}
PRODUCT_KNOWN = {"package_dimensions"}


def _product_fields(product: dict, params: dict) -> None:
    if "name" in params:
        name = as_str(params, "name")
        if not name:
            raise invalid("name", "You must supply a non-empty name for the product.")
        product["name"] = name
    active = as_bool(params, "active")
    if active is not None:
        product["active"] = active
    shippable = as_bool(params, "shippable")
    if shippable is not None:
        product["shippable"] = shippable
    for name in ("description", "url", "statement_descriptor", "unit_label", "tax_code"):
        if name in params:
            product[name] = as_str(params, name) or None
    if "images" in params:
        product["images"] = as_list(params, "images") or []
    if "marketing_features" in params:
        features = as_list(params, "marketing_features") or []
        product["marketing_features"] = [
            {"name": feature.get("name")} for feature in features if isinstance(feature, dict)
        ]
    product["metadata"] = metadata_merge(product["metadata"], params.get("metadata"))


@route("POST", "/v1/products", area="api")
def product_create(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, PRODUCT_FIELDS | {"id", "type", "default_price_data"}, PRODUCT_KNOWN)
    name = as_str(params, "name", required=True)
    product_id = as_str(params, "id") or ids.new_id("prod", ids.SHORT)
    if product_id in store.objects:
        raise StripeError(
            400, "Product already exists.", code="resource_already_exists", param="id"
        )
    now = store.now()
    product = objects.product(product_id=product_id, created=now, name=name)
    _product_fields(product, params)
    store.put(product)
    store.emit("product.created", product)
    data = as_dict(params, "default_price_data")
    if data:
        price = _price_build(store, {**data, "product": product_id}, label="default_price_data")
        product["default_price"] = price["id"]
    return store.render(product)


def _product(store: Store, request: Request) -> dict:
    return store.get(request.path_params["product"], "product")


@route("GET", "/v1/products/{product}", area="api")
def product_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(_product(store, request))


@route("POST", "/v1/products/{product}", area="api")
def product_update(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, PRODUCT_FIELDS | {"default_price"}, PRODUCT_KNOWN)
    product = _product(store, request)
    before = store.render(product)
    _product_fields(product, params)
    if "default_price" in params:
        price_id = as_str(params, "default_price")
        if price_id:
            price = store.find(price_id)
            if price is None or price["object"] != "price":
                raise no_such("price", price_id, "default_price")
            if price["product"] != product["id"]:
                raise invalid("default_price", "The price must belong to this product.")
        product["default_price"] = price_id or None
    product["updated"] = store.now()
    changed = billing.diff(before, store.render(product))
    changed.pop("updated", None)
    if changed:
        store.emit("product.updated", product, changed)
    return store.render(product)


@route("DELETE", "/v1/products/{product}", area="api")
def product_delete(store: Store, request: Request) -> dict:
    allow(request.params, set())
    product = _product(store, request)
    if any(price["product"] == product["id"] for price in store.all("price")):
        raise StripeError(
            400,
            "This product cannot be deleted because it has one or more user-created prices.",
            code="product_has_prices",
        )
    store.emit("product.deleted", product)
    store.objects.pop(product["id"])
    return {"id": product["id"], "object": "product", "deleted": True}


@route("GET", "/v1/products/{product}/features", area="api")
def product_features(store: Store, request: Request) -> dict:
    """Entitlement features attached to a product: the simulator attaches none."""
    allow(request.params, LIST_PARAMS)
    product = _product(store, request)
    return objects.empty_list(f"/v1/products/{product['id']}/features")


@route("GET", "/v1/products", area="api")
def product_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, LIST_PARAMS | {"active", "ids"}, {"created", "shippable", "type", "url"})
    active = as_bool(params, "active")
    wanted = as_list(params, "ids")
    found = [
        p
        for p in store.all("product")
        if (active is None or p["active"] == active) and (wanted is None or p["id"] in wanted)
    ]
    return paginate(store, found, params, "/v1/products")


PRICE_FIELDS = {
    "product",
    "product_data",
    "currency",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "lookup_key",
    "transfer_lookup_key",
    "metadata",
    "nickname",
    "active",
    "tax_behavior",
    "billing_scheme",
}
PRICE_KNOWN = {
    "currency_options",
    "custom_unit_amount",
    "tiers",
    "tiers_mode",
    "transform_quantity",
}
INTERVALS = ("day", "week", "month", "year")


def _lookup_key_set(store: Store, price: dict, key: str | None, transfer: bool) -> None:
    if key:
        holder = next(
            (p for p in store.all("price") if p["lookup_key"] == key and p["id"] != price["id"]),
            None,
        )
        if holder is not None:
            if not transfer:
                raise invalid(
                    "lookup_key", f"A price (`{holder['id']}`) already uses that lookup key."
                )
            before = store.render(holder)
            holder["lookup_key"] = None
            store.emit("price.updated", holder, billing.diff(before, store.render(holder)))
    price["lookup_key"] = key or None


def _price_build(store: Store, params: dict, *, label: str = "") -> dict:
    def name(field: str) -> str:
        return f"{label}[{field}]" if label else field

    product_id = as_str(params, "product", label=name("product"))
    product_data = as_dict(params, "product_data", label=name("product_data"))
    if product_id and product_data:
        raise invalid(
            name("product_data"),
            "You may only specify one of these parameters: product, product_data.",
        )
    currency = (as_str(params, "currency", required=True, label=name("currency")) or "").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(name("currency"), f"Invalid currency: {currency}")
    unit_amount = as_int(params, "unit_amount", label=name("unit_amount"))
    decimal = as_str(params, "unit_amount_decimal", label=name("unit_amount_decimal"))
    if unit_amount is None and decimal is not None:
        if not decimal.isdigit():
            raise not_simulated(name("unit_amount_decimal"))
        unit_amount = int(decimal)
    if unit_amount is None:
        raise missing(name("unit_amount"))
    if unit_amount < 0:
        raise invalid(name("unit_amount"), "This value must be greater than or equal to 0.")
    scheme = as_str(params, "billing_scheme") or "per_unit"
    if scheme != "per_unit":
        raise not_simulated(name("billing_scheme"))
    recurring = None
    given = as_dict(params, "recurring", label=name("recurring"))
    if given:
        for key in given:
            if key not in ("interval", "interval_count", "usage_type", "trial_period_days"):
                raise not_simulated(f"{name('recurring')}[{key}]")
        interval = as_str(given, "interval", required=True, label=f"{name('recurring')}[interval]")
        if interval not in INTERVALS:
            raise invalid(
                f"{name('recurring')}[interval]",
                f"Invalid recurring[interval]: must be one of {', '.join(INTERVALS)}",
            )
        count = as_int(given, "interval_count", label=f"{name('recurring')}[interval_count]") or 1
        if as_str(given, "usage_type") not in (None, "licensed"):
            raise not_simulated(f"{name('recurring')}[usage_type]")
        recurring = objects.recurring(interval, count)
        trial = as_int(given, "trial_period_days")
        if trial:
            recurring["trial_period_days"] = trial
    if product_data is not None:
        product_name = as_str(product_data, "name", required=True, label=name("product_data[name]"))
        product = store.put(
            objects.product(
                product_id=ids.new_id("prod", ids.SHORT), created=store.now(), name=product_name
            )
        )
        product["metadata"] = metadata_merge({}, product_data.get("metadata"))
        store.emit("product.created", product)
        product_id = product["id"]
    if not product_id:
        raise missing(name("product"))
    store.get(product_id, "product", param=name("product"))
    price = objects.price(
        price_id=ids.new_id("price"),
        created=store.now(),
        product_id=product_id,
        currency=currency,
        unit_amount=unit_amount,
        recurring=recurring,
    )
    _price_fields(store, price, params)
    store.put(price)
    store.emit("price.created", price)
    return price


def _price_fields(store: Store, price: dict, params: dict) -> None:
    active = as_bool(params, "active")
    if active is not None:
        price["active"] = active
    if "nickname" in params:
        price["nickname"] = as_str(params, "nickname") or None
    if "tax_behavior" in params:
        behavior = as_str(params, "tax_behavior") or "unspecified"
        if behavior not in ("inclusive", "exclusive", "unspecified"):
            raise invalid("tax_behavior", "Invalid tax_behavior")
        price["tax_behavior"] = behavior
    if "lookup_key" in params:
        _lookup_key_set(
            store,
            price,
            as_str(params, "lookup_key"),
            bool(as_bool(params, "transfer_lookup_key")),
        )
    price["metadata"] = metadata_merge(price["metadata"], params.get("metadata"))


@route("POST", "/v1/prices", area="api")
def price_create(store: Store, request: Request) -> dict:
    allow(request.params, PRICE_FIELDS, PRICE_KNOWN)
    return store.render(_price_build(store, request.params))


@route("GET", "/v1/prices/{price}", area="api")
def price_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(store.get(request.path_params["price"], "price"))


@route("POST", "/v1/prices/{price}", area="api")
def price_update(store: Store, request: Request) -> dict:
    allow(
        request.params,
        {"active", "nickname", "metadata", "lookup_key", "transfer_lookup_key", "tax_behavior"},
        {"currency_options"},
    )
    price = store.get(request.path_params["price"], "price")
    before = store.render(price)
    _price_fields(store, price, request.params)
    changed = billing.diff(before, store.render(price))
    if changed:
        store.emit("price.updated", price, changed)
    return store.render(price)


@route("GET", "/v1/prices", area="api")
def price_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        LIST_PARAMS | {"active", "product", "lookup_keys", "type", "currency", "recurring"},
        {"created"},
    )
    active = as_bool(params, "active")
    product = as_str(params, "product")
    keys = as_list(params, "lookup_keys")
    kind = as_str(params, "type")
    currency = as_str(params, "currency")
    recurring = as_dict(params, "recurring") or {}
    interval = recurring.get("interval")
    found = [
        p
        for p in store.all("price")
        if (active is None or p["active"] == active)
        and (product is None or p["product"] == product)
        and (keys is None or p["lookup_key"] in keys)
        and (kind is None or p["type"] == kind)
        and (currency is None or p["currency"] == currency.lower())
        and (interval is None or (p["recurring"] or {}).get("interval") == interval)
    ]
    return paginate(store, found, params, "/v1/prices")


# ------------------------------------------------------------------ checkout

SESSION_FIELDS = {
    "mode",
    "customer",
    "customer_email",
    "line_items",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "metadata",
    "subscription_data",
    "expires_at",
    "locale",
    "allow_promotion_codes",
    "billing_address_collection",
    "payment_method_types",
    "customer_update",
    "phone_number_collection",
    "tax_id_collection",
    "automatic_tax",
    "ui_mode",
    "currency",
    "payment_method_collection",
    "submit_type",
    "custom_text",
    "consent_collection",
}
SESSION_KNOWN = {
    "adaptive_pricing",
    "after_expiration",
    "branding_settings",
    "custom_fields",
    "customer_account",
    "customer_creation",
    "discounts",
    "excluded_payment_method_types",
    "integration_identifier",
    "invoice_creation",
    "managed_payments",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "permissions",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "wallet_options",
}
SUBSCRIPTION_DATA_FIELDS = {"metadata", "trial_period_days", "description"}
SUBSCRIPTION_DATA_KNOWN = {
    "application_fee_percent",
    "billing_cycle_anchor",
    "billing_cycle_anchor_config",
    "billing_mode",
    "default_tax_rates",
    "invoice_settings",
    "on_behalf_of",
    "pending_invoice_item_interval",
    "proration_behavior",
    "transfer_data",
    "trial_end",
    "trial_settings",
}


def _url(params: dict, name: str, *, required: bool) -> str | None:
    value = as_str(params, name, required=required)
    if value and not value.startswith(("http://", "https://")):
        raise invalid(name, "Not a valid URL", code="url_invalid")
    return value or None


@route("POST", "/v1/checkout/sessions", area="api")
def checkout_session_create(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, SESSION_FIELDS, SESSION_KNOWN)
    mode = as_str(params, "mode", required=True)
    if mode not in ("payment", "setup", "subscription"):
        raise invalid("mode", "Invalid mode: must be one of payment, setup, or subscription")
    if mode != "subscription":
        raise invalid(
            "mode", "The Stripe simulator implements only `mode=subscription` Checkout Sessions."
        )
    if as_str(params, "ui_mode") not in (None, "hosted"):
        raise not_simulated("ui_mode")
    methods = as_list(params, "payment_method_types")
    if methods and methods != ["card"]:
        raise not_simulated("payment_method_types")
    line_items = as_list(params, "line_items")
    if not line_items:
        raise missing("line_items")
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url", required=False)
    customer_id = as_str(params, "customer")
    customer_email = as_str(params, "customer_email")
    if customer_id and customer_email:
        raise invalid(
            "customer_email",
            "You may only specify one of these parameters: customer, customer_email.",
        )
    customer = store.get(customer_id, "customer", param="customer") if customer_id else None
    if customer is not None and customer.get("deleted"):
        raise no_such("customer", customer_id, "customer")
    wanted, prices = [], []
    for index, entry in enumerate(line_items):
        label = f"line_items[{index}]"
        if not isinstance(entry, dict):
            raise invalid(label, f"Invalid object: {label} must be a hash")
        for key in entry:
            if key in ("price_data", "adjustable_quantity", "tax_rates", "dynamic_tax_rates"):
                raise not_simulated(f"{label}[{key}]")
            if key not in ("price", "quantity", "metadata"):
                raise unknown(f"{label}[{key}]")
        price_id = as_str(entry, "price", required=True, label=f"{label}[price]")
        price = store.find(price_id)
        if price is None or price["object"] != "price":
            raise no_such("price", price_id, f"{label}[price]")
        if not price["active"]:
            raise invalid(
                f"{label}[price]",
                f"The price `{price_id}` is not active. This field only accepts active prices.",
            )
        quantity = as_int(entry, "quantity", required=True, label=f"{label}[quantity]")
        if quantity < 1:
            raise invalid(f"{label}[quantity]", "Quantity must be at least 1.")
        wanted.append({"price": price_id, "quantity": quantity})
        prices.append(price)
    if not any(price["type"] == "recurring" for price in prices):
        raise invalid(
            "line_items",
            "You must provide at least one recurring price in `subscription` mode when using "
            "prices.",
        )
    if any(price["type"] != "recurring" for price in prices):
        raise not_simulated("line_items")
    if len({price["currency"] for price in prices}) > 1:
        raise invalid("line_items", "All prices must be in the same currency.")
    if (
        len(
            {
                (price["recurring"]["interval"], price["recurring"]["interval_count"])
                for price in prices
            }
        )
        > 1
    ):
        raise invalid(
            "line_items",
            "Currency and interval fields must match across all plans on this subscription.",
        )
    data = as_dict(params, "subscription_data") or {}
    for key in data:
        if key in SUBSCRIPTION_DATA_KNOWN:
            raise not_simulated(f"subscription_data[{key}]")
        if key not in SUBSCRIPTION_DATA_FIELDS:
            raise unknown(f"subscription_data[{key}]")
    trial_days = as_int(data, "trial_period_days", label="subscription_data[trial_period_days]")
    if trial_days is not None and not 1 <= trial_days <= 730:
        raise invalid(
            "subscription_data[trial_period_days]",
            "The trial period must be between 1 and 730 days.",
        )
    now = store.now()
    expires_at = as_int(params, "expires_at")
    if expires_at is None:
        expires_at = now + 24 * 3600
    elif not now + 30 * 60 - 60 <= expires_at <= now + 24 * 3600 + 60:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from the "
            "Checkout Session's creation.",
        )
    session_id = ids.checkout_session_id()
    session = objects.checkout_session(
        session_id=session_id,
        created=now,
        expires_at=expires_at,
        customer_id=customer_id,
        customer_email=customer_email,
        currency=prices[0]["currency"],
        amount=sum(p["unit_amount"] * w["quantity"] for p, w in zip(prices, wanted, strict=True)),
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=as_str(params, "client_reference_id"),
        metadata=metadata_merge({}, params.get("metadata")),
        locale=as_str(params, "locale"),
        url=f"{store.public_url}/c/pay/{session_id}",
    )
    if as_bool(params, "allow_promotion_codes") is not None:
        session["allow_promotion_codes"] = as_bool(params, "allow_promotion_codes")
    if as_str(params, "billing_address_collection"):
        session["billing_address_collection"] = as_str(params, "billing_address_collection")
    store.put(session)
    store.private_of(session_id).update(
        {
            "line_items": wanted,
            "subscription_data": {
                "metadata": metadata_merge(
                    {}, data.get("metadata"), param="subscription_data[metadata]"
                ),
                "trial_period_days": trial_days,
                "description": as_str(data, "description"),
            },
        }
    )
    return store.render(session)


def _session_line_items(store: Store, session_id: str) -> dict:
    wanted = store.private_of(session_id).get("line_items") or []
    items = []
    for index, entry in enumerate(wanted):
        price = store.objects[entry["price"]]
        product = store.find(price["product"])
        items.append(
            objects.checkout_line_item(
                item_id=f"li_{session_id[-20:]}{index:04d}",
                price_obj=store.render(price),
                product_name=product["name"] if product else "",
                quantity=entry["quantity"],
            )
        )
    return objects.list_of(items, f"/v1/checkout/sessions/{session_id}/line_items")


def _session(store: Store, request: Request) -> dict:
    return store.get(request.path_params["session"], "checkout.session")


@route("GET", "/v1/checkout/sessions/{session}", area="api")
def checkout_session_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(_session(store, request))


@route("POST", "/v1/checkout/sessions/{session}/expire", area="api")
def checkout_session_expire(store: Store, request: Request) -> dict:
    allow(request.params, set())
    session = _session(store, request)
    billing.checkout_expire(store, session)
    return store.render(session)


@route("GET", "/v1/checkout/sessions/{session}/line_items", area="api")
def checkout_session_line_items(store: Store, request: Request) -> dict:
    allow(request.params, LIST_PARAMS)
    session = _session(store, request)
    listed = _session_line_items(store, session["id"])
    listed["data"] = listed["data"][: as_int(request.params, "limit") or 10]
    return listed


@route("GET", "/v1/checkout/sessions", area="api")
def checkout_session_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        LIST_PARAMS | {"customer", "subscription", "status"},
        {"created", "customer_account", "customer_details", "payment_intent", "payment_link"},
    )
    found = matching(store, "checkout.session", params, ("customer", "subscription", "status"))
    return paginate(store, found, params, "/v1/checkout/sessions")


# ------------------------------------------------------------ billing portal


@route("POST", "/v1/billing_portal/sessions", area="api")
def portal_session_create(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        {"customer", "return_url", "configuration", "locale"},
        {"flow_data", "on_behalf_of", "customer_account"},
    )
    customer_id = as_str(params, "customer", required=True)
    customer = store.get(customer_id, "customer", param="customer")
    if customer.get("deleted"):
        raise no_such("customer", customer_id, "customer")
    configuration_id = as_str(params, "configuration") or store.portal_configuration["id"]
    store.get(configuration_id, "billing_portal.configuration", param="configuration")
    session_id = ids.new_id("bps")
    session = objects.portal_session(
        session_id=session_id,
        created=store.now(),
        customer_id=customer_id,
        configuration_id=configuration_id,
        return_url=_url(params, "return_url", required=False),
        locale=as_str(params, "locale"),
        url=f"{store.public_url}/p/session/{session_id}",
    )
    store.put(session)
    return store.render(session)


@route("GET", "/v1/billing_portal/configurations/{configuration}", area="api")
def portal_configuration_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(
        store.get(request.path_params["configuration"], "billing_portal.configuration")
    )


@route("GET", "/v1/billing_portal/configurations", area="api")
def portal_configuration_list(store: Store, request: Request) -> dict:
    allow(request.params, LIST_PARAMS | {"active", "is_default"})
    return paginate(
        store,
        store.all("billing_portal.configuration"),
        request.params,
        "/v1/billing_portal/configurations",
    )


# ------------------------------------------------------------- subscriptions

SUBSCRIPTION_UPDATE_FIELDS = {
    "items",
    "proration_behavior",
    "proration_date",
    "payment_behavior",
    "cancel_at_period_end",
    "cancellation_details",
    "metadata",
    "description",
    "default_payment_method",
    "off_session",
}
SUBSCRIPTION_UPDATE_KNOWN = {
    "add_invoice_items",
    "application_fee_percent",
    "automatic_tax",
    "billing_cycle_anchor",
    "billing_schedules",
    "billing_thresholds",
    "cancel_at",
    "collection_method",
    "days_until_due",
    "default_source",
    "default_tax_rates",
    "discounts",
    "invoice_settings",
    "on_behalf_of",
    "pause_collection",
    "payment_settings",
    "pending_invoice_item_interval",
    "transfer_data",
    "trial_end",
    "trial_from_plan",
    "trial_settings",
}
SUBSCRIPTION_STATUSES = (
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "trialing",
    "paused",
    "all",
    "ended",
)


def _subscription(store: Store, request: Request) -> dict:
    return store.get(request.path_params["subscription"], "subscription")


@route("GET", "/v1/subscriptions/{subscription}", area="api")
def subscription_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(_subscription(store, request))


@route("POST", "/v1/subscriptions/{subscription}", area="api")
def subscription_update(store: Store, request: Request) -> dict:
    allow(request.params, SUBSCRIPTION_UPDATE_FIELDS, SUBSCRIPTION_UPDATE_KNOWN)
    subscription = _subscription(store, request)
    billing.subscription_update(
        store, subscription, {k: v for k, v in request.params.items() if k != "expand"}
    )
    return store.render(subscription)


@route("DELETE", "/v1/subscriptions/{subscription}", area="api")
def subscription_cancel(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, {"cancellation_details", "invoice_now", "prorate"})
    if as_bool(params, "invoice_now") or as_bool(params, "prorate"):
        raise not_simulated("invoice_now" if as_bool(params, "invoice_now") else "prorate")
    details = as_dict(params, "cancellation_details") or {}
    subscription = _subscription(store, request)
    billing.subscription_cancel(
        store,
        subscription,
        comment=as_str(details, "comment"),
        feedback=as_str(details, "feedback"),
    )
    return store.render(subscription)


@route("GET", "/v1/subscriptions", area="api")
def subscription_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        LIST_PARAMS | {"customer", "price", "status", "plan"},
        {
            "automatic_tax",
            "collection_method",
            "created",
            "current_period_end",
            "current_period_start",
            "customer_account",
            "test_clock",
        },
    )
    customer = as_str(params, "customer")
    price = as_str(params, "price") or as_str(params, "plan")
    status = as_str(params, "status")
    if status is not None and status not in SUBSCRIPTION_STATUSES:
        raise invalid(
            "status", f"Invalid status: must be one of {', '.join(SUBSCRIPTION_STATUSES)}"
        )

    def wanted(subscription: dict) -> bool:
        current = subscription["status"]
        if status is None:
            ok = current not in ("canceled", "incomplete_expired")
        elif status == "all":
            ok = True
        elif status == "ended":
            ok = current in ("canceled", "incomplete_expired")
        else:
            ok = current == status
        prices = {store.objects[item]["price"] for item in subscription["items"]}
        return (
            ok
            and customer in (None, subscription["customer"])
            and (price is None or price in prices)
        )

    found = [s for s in store.all("subscription") if wanted(s)]
    return paginate(store, found, params, "/v1/subscriptions")


@route("GET", "/v1/subscription_items/{item}", area="api")
def subscription_item_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(store.get(request.path_params["item"], "subscription_item"))


@route("GET", "/v1/subscription_items", area="api")
def subscription_item_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, LIST_PARAMS | {"subscription"})
    subscription = store.get(
        as_str(params, "subscription", required=True), "subscription", param="subscription"
    )
    items = sorted(
        (store.objects[item] for item in subscription["items"]), key=store.sort_key, reverse=True
    )
    return paginate(
        store, items, params, f"/v1/subscription_items?subscription={quote(subscription['id'])}"
    )


# ------------------------------------------------------------------ invoices


def _invoice(store: Store, request: Request) -> dict:
    return store.get(request.path_params["invoice"], "invoice")


@route("GET", "/v1/invoices/{invoice}", area="api")
def invoice_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(_invoice(store, request))


@route("GET", "/v1/invoices/{invoice}/lines", area="api")
def invoice_lines(store: Store, request: Request) -> dict:
    allow(request.params, LIST_PARAMS)
    invoice = _invoice(store, request)
    lines = copy.deepcopy(invoice["lines"]["data"])
    limit = as_int(request.params, "limit") or 10
    after = as_str(request.params, "starting_after")
    if after:
        positions = [line["id"] for line in lines]
        if after not in positions:
            raise invalid("starting_after", f"Invalid starting_after id: {after}")
        lines = lines[positions.index(after) + 1 :]
    return objects.list_of(lines[:limit], f"/v1/invoices/{invoice['id']}/lines", len(lines) > limit)


@route("POST", "/v1/invoices/{invoice}/pay", area="api")
def invoice_pay(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        {"payment_method", "paid_out_of_band", "off_session"},
        {"forgive", "mandate", "source"},
    )
    invoice = _invoice(store, request)
    method = as_str(params, "payment_method")
    if method:
        pm = store.find(method)
        if pm is None or pm["object"] != "payment_method":
            raise no_such("PaymentMethod", method, "payment_method")
    billing.invoice_pay(
        store,
        invoice,
        payment_method_id=method,
        out_of_band=bool(as_bool(params, "paid_out_of_band")),
    )
    return store.render(invoice)


@route("GET", "/v1/invoices", area="api")
def invoice_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(
        params,
        LIST_PARAMS | {"customer", "subscription", "status", "collection_method"},
        {"created", "customer_account", "due_date"},
    )
    fields = ("customer", "subscription", "status", "collection_method")
    return paginate(store, matching(store, "invoice", params, fields), params, "/v1/invoices")


# ----------------------------------------------------- payment methods etc.


@route("GET", "/v1/payment_methods/{payment_method}", area="api")
def payment_method_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(store.get(request.path_params["payment_method"], "payment_method"))


@route("GET", "/v1/payment_methods", area="api")
def payment_method_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, LIST_PARAMS | {"customer", "type"}, {"allow_redisplay", "customer_account"})
    found = matching(store, "payment_method", params, ("customer", "type"))
    return paginate(store, found, params, "/v1/payment_methods")


@route("GET", "/v1/charges/{charge}", area="api")
def charge_retrieve(store: Store, request: Request) -> dict:
    # Invoices of the current API name no charge; none is ever created here.
    raise no_such("charge", request.path_params["charge"])


@route("GET", "/v1/payment_intents/{payment_intent}", area="api")
def payment_intent_retrieve(store: Store, request: Request) -> dict:
    raise no_such("payment_intent", request.path_params["payment_intent"])


# -------------------------------------------------------------------- events


@route("GET", "/v1/events/{event}", area="api")
def event_retrieve(store: Store, request: Request) -> dict:
    allow(request.params, set())
    return store.render(store.get(request.path_params["event"], "event"))


@route("GET", "/v1/events", area="api")
def event_list(store: Store, request: Request) -> dict:
    params = request.params
    allow(params, LIST_PARAMS | {"type", "types"}, {"created", "delivery_success"})
    single = as_str(params, "type")
    several = as_list(params, "types")
    if single and several:
        raise invalid("types", "You may only specify one of these parameters: type, types.")
    patterns = several or ([single] if single else None)

    def matches(event_type: str) -> bool:
        return patterns is None or any(
            event_type == p or (p.endswith("*") and event_type.startswith(p[:-1])) for p in patterns
        )

    found = sorted(
        (e for e in store.events.values() if matches(e["type"])),
        key=store.sort_key,
        reverse=True,
    )
    return paginate(store, found, params, "/v1/events")
