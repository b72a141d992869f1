"""The pages Stripe hosts, simulated: Checkout (``/c/pay/<cs_id>``), the customer portal
(``/p/session/<bps_id>``) and hosted invoices (``/i/<in_id>``, ``/i/<in_id>/pdf``), plus an
overview of the simulated account at ``/``.

They are plain HTML forms (no script needed) styled by ``static/sim.css``.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from simulators.stripe import billing, formats
from simulators.stripe.errors import StripeError
from simulators.stripe.pdf import text_pdf
from simulators.stripe.routes import Request, Response, route

if TYPE_CHECKING:
    from simulators.stripe.store import Store

STATIC = Path(__file__).parent / "static"
DEFAULT_CARD = "4242 4242 4242 4242"
STATUS_LABELS = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Past due",
    "unpaid": "Unpaid",
    "canceled": "Canceled",
    "incomplete": "Incomplete",
    "incomplete_expired": "Expired",
    "paused": "Paused",
    "paid": "Paid",
    "open": "Open",
    "void": "Void",
    "draft": "Draft",
}
TEST_CARDS_HELP = (
    ("4242 4242 4242 4242", "pays"),
    ("4000 0000 0000 0341", "is accepted, then every charge on it fails"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 9995", "is declined: insufficient funds"),
)


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str, *, css_class: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n"
        '<link rel="stylesheet" href="/static/sim.css">\n</head>\n'
        f'<body class="{_e(css_class)}">\n'
        '<div class="test-banner">TEST MODE · Stripe simulator</div>\n'
        f"{body}\n</body>\n</html>\n"
    )


def message_page(title: str, text: str, *, link: tuple[str, str] | None = None, status: int = 200):
    action = f'<p><a class="button" href="{_e(link[0])}">{_e(link[1])}</a></p>' if link else ""
    body = (
        f'<main class="card narrow"><h1>{_e(title)}</h1><p class="muted">{_e(text)}</p>'
        f"{action}</main>"
    )
    return Response.html(layout(title, body, css_class="message"), status)


def not_found() -> Response:
    return message_page(
        "Something went wrong",
        "The page you were looking for could not be found.",
        status=404,
    )


def _card_fields(error: str | None, *, number: str = DEFAULT_CARD) -> str:
    alert = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
    cards = "".join(
        f"<li><code>{_e(card)}</code> {_e(effect)}</li>" for card, effect in TEST_CARDS_HELP
    )
    return (
        '<fieldset class="card-fields"><legend>Card information</legend>'
        f'<input name="card_number" id="card_number" value="{_e(number)}" '
        'autocomplete="cc-number" inputmode="numeric" aria-label="Card number" required>'
        '<div class="row">'
        '<input name="card_expiry" id="card_expiry" value="12 / 34" autocomplete="cc-exp" '
        'aria-label="Expiration date (MM / YY)" required>'
        '<input name="card_cvc" id="card_cvc" value="123" autocomplete="cc-csc" '
        'inputmode="numeric" aria-label="CVC" required>'
        "</div></fieldset>"
        f"{alert}"
        f'<details class="test-cards"><summary>Test cards</summary><ul>{cards}</ul>'
        "<p>Any future expiry date and any CVC.</p></details>"
    )


# ------------------------------------------------------------------ checkout


def _session_summary(store: Store, session: dict) -> tuple[str, str]:
    """(plan name, "$19.00 per month") of a session's first line item."""
    wanted = store.private_of(session["id"]).get("line_items") or []
    if not wanted:
        return "", ""
    price = store.objects[wanted[0]["price"]]
    product = store.find(price["product"])
    amount = formats.money(session["amount_total"], session["currency"])
    return (product["name"] if product else price["id"]), (
        f"{amount} per {formats.interval_label(price['recurring'])}"
    )


def checkout_page(store: Store, session: dict, *, error: str | None = None, form=None) -> str:
    form = form or {}
    plan, amount = _session_summary(store, session)
    customer = store.find(session["customer"]) if session["customer"] else None
    email = (customer or {}).get("email") or session["customer_email"] or form.get("email", "")
    name = form.get("card_name") or (customer or {}).get("name") or ""
    trial_days = (store.private_of(session["id"]).get("subscription_data") or {}).get(
        "trial_period_days"
    )
    lines = []
    for wanted in store.private_of(session["id"]).get("line_items") or []:
        price = store.objects[wanted["price"]]
        product = store.find(price["product"])
        quantity = wanted["quantity"]
        total = formats.money(price["unit_amount"] * quantity, price["currency"])
        lines.append(
            f"<li><span>{_e(product['name'] if product else price['id'])}"
            f"{' × ' + str(quantity) if quantity > 1 else ''}</span>"
            f"<span>{_e(total)}</span></li>"
        )
    due_today = 0 if trial_days else session["amount_total"]
    trial = f'<p class="trial">{trial_days} days free, then {_e(amount)}</p>' if trial_days else ""
    cancel = (
        f'<a class="back" href="{_e(session["cancel_url"])}">← {_e(store.account_name)}</a>'
        if session["cancel_url"]
        else f'<span class="back">{_e(store.account_name)}</span>'
    )
    cancel_link = (
        f'<a class="cancel" id="cancel" href="{_e(session["cancel_url"])}">Cancel</a>'
        if session["cancel_url"]
        else ""
    )
    readonly = " readonly" if customer or session["customer_email"] else ""
    body = f"""
<main class="checkout">
  <section class="summary">
    {cancel}
    <p class="muted">Subscribe to {_e(plan)}</p>
    <p class="amount" id="amount">{_e(amount)}</p>
    {trial}
    <ul class="lines">{"".join(lines)}</ul>
    <p class="total"><span>Total due today</span>
      <span>{_e(formats.money(due_today, session["currency"]))}</span></p>
  </section>
  <section class="pay card">
    <form method="post" action="/c/pay/{_e(session["id"])}" id="payment-form">
      <label for="email">Email</label>
      <input type="email" name="email" id="email" value="{_e(email)}"{readonly} required>
      {_card_fields(error, number=form.get("card_number") or DEFAULT_CARD)}
      <label for="card_name">Cardholder name</label>
      <input name="card_name" id="card_name" value="{_e(name)}" autocomplete="cc-name">
      <button type="submit" class="primary" id="pay">Pay</button>
      {cancel_link}
    </form>
    <p class="fine">Business: {_e(email)} · Plan: {_e(plan)}</p>
  </section>
</main>"""
    return layout(f"{store.account_name} · {plan}", body, css_class="checkout-page")


def _checkout_session(store: Store, request: Request) -> dict | None:
    found = store.find(request.path_params["session"])
    return found if found and found["object"] == "checkout.session" else None


def _closed_session_page(store: Store, session: dict) -> Response:
    if session["status"] == "complete":
        success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        return message_page(
            "You're all set",
            "This checkout session is already complete: the subscription is paid.",
            link=(success, f"Return to {store.account_name}"),
        )
    link = (
        (session["cancel_url"], f"Return to {store.account_name}")
        if session["cancel_url"]
        else None
    )
    return message_page(
        "This checkout session has expired",
        "Start again from the merchant's site to pay.",
        link=link,
        status=410,
    )


@route("GET", "/c/pay/{session}", area="page")
def checkout_show(store: Store, request: Request) -> Response:
    session = _checkout_session(store, request)
    if session is None:
        return not_found()
    if session["status"] != "open":
        return _closed_session_page(store, session)
    return Response.html(checkout_page(store, session))


@route("POST", "/c/pay/{session}", area="page")
def checkout_submit(store: Store, request: Request) -> Response:
    session = _checkout_session(store, request)
    if session is None:
        return not_found()
    form = request.form()
    if session["status"] == "expired":
        return _closed_session_page(store, session)
    result = billing.checkout_pay(
        store,
        session["id"],
        card_number=form.get("card_number", ""),
        expiry=form.get("card_expiry", ""),
        cvc=form.get("card_cvc", ""),
        name=form.get("card_name") or None,
        email=form.get("email") or None,
    )
    if result.paid:
        return Response.redirect(result.redirect_url)
    status = 402 if result.error and "declined" in result.error else 422
    return Response.html(checkout_page(store, session, error=result.error, form=form), status)


# -------------------------------------------------------------------- portal


def _portal_session(store: Store, request: Request) -> dict | None:
    found = store.find(request.path_params["session"])
    return found if found and found["object"] == "billing_portal.session" else None


def _subscription_block(store: Store, portal: dict, subscription: dict) -> str:
    items = [store.objects[item_id] for item_id in subscription["items"]]
    price = store.objects[items[0]["price"]]
    product = store.find(price["product"])
    total = sum(store.objects[i["price"]]["unit_amount"] * i["quantity"] for i in items)
    amount = formats.money(total, subscription["currency"])
    _start, end = billing.period_of(store, subscription)
    status = subscription["status"]
    if subscription["cancel_at_period_end"]:
        note = f"Your plan will be canceled on {formats.day_long(end)}."
    elif status == "trialing":
        note = f"Your trial ends on {formats.day_long(end)}."
    elif status in ("past_due", "incomplete", "unpaid"):
        note = "The last payment failed. Pay the open invoice below to keep your plan."
    else:
        note = f"Renews on {formats.day_long(end)}."
    action_base = f"/p/session/{quote(portal['id'])}/subscriptions/{quote(subscription['id'])}"
    if subscription["cancel_at_period_end"]:
        button = (
            f'<form method="post" action="{_e(action_base)}/resume">'
            '<button class="primary" type="submit">Resume subscription</button></form>'
        )
    else:
        button = (
            f'<form method="post" action="{_e(action_base)}/cancel">'
            '<button class="danger" type="submit">Cancel subscription</button></form>'
        )
    return f"""
<article class="subscription" id="{_e(subscription["id"])}">
  <h3>{_e(product["name"] if product else price["id"])}</h3>
  <p class="amount">{_e(amount)}
    <span>per {_e(formats.interval_label(price["recurring"]))}</span></p>
  <p><span class="status status-{_e(status)}">{_e(STATUS_LABELS.get(status, status))}</span></p>
  <p class="note">{_e(note)}</p>
  {button}
</article>"""


def portal_page(store: Store, portal: dict) -> str:
    customer = store.objects[portal["customer"]]
    subscriptions = [
        s
        for s in store.all("subscription")
        if s["customer"] == customer["id"] and s["status"] not in ("canceled", "incomplete_expired")
    ]
    blocks = "".join(_subscription_block(store, portal, s) for s in subscriptions) or (
        '<p class="muted">No current subscription.</p>'
    )
    methods = []
    for subscription in subscriptions:
        pm = store.find(subscription["default_payment_method"])
        if pm and pm["id"] not in {m["id"] for m in methods}:
            methods.append(pm)
    method_html = (
        "".join(
            f"<li>{_e(pm['card']['brand'].title())} •••• {_e(pm['card']['last4'])} "
            f'<span class="muted">Expires {pm["card"]["exp_month"]:02d}/'
            f"{pm['card']['exp_year']}</span></li>"
            for pm in methods
        )
        or '<li class="muted">None</li>'
    )
    rows = []
    for invoice in store.all("invoice"):
        if invoice["customer"] != customer["id"] or invoice["status"] == "draft":
            continue
        link = f'<a href="{_e(invoice["hosted_invoice_url"])}">View</a>'
        if invoice["status"] == "open":
            link = f'<a class="button small" href="{_e(invoice["hosted_invoice_url"])}">Pay</a>'
        rows.append(
            f'<tr id="{_e(invoice["id"])}"><td>{_e(formats.day(invoice["created"]))}</td>'
            f"<td>{_e(formats.money(invoice['total'], invoice['currency']))}</td>"
            f'<td><span class="status status-{_e(invoice["status"])}">'
            f"{_e(STATUS_LABELS.get(invoice['status'], invoice['status']))}</span></td>"
            f"<td>{_e(invoice['number'])}</td><td>{link}</td></tr>"
        )
    history = (
        "<table><thead><tr><th>Date</th><th>Amount</th><th>Status</th><th>Number</th><th></th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">No invoices yet.</p>'
    )
    back = (
        f'<a class="back" id="return" href="{_e(portal["return_url"])}">'
        f"← Return to {_e(store.account_name)}</a>"
        if portal["return_url"]
        else ""
    )
    body = f"""
<main class="portal">
  <header>{back}<h1>{_e(store.account_name)}</h1>
    <p class="muted">{_e(customer.get("email") or customer["id"])}</p></header>
  <section><h2>Current subscription</h2>{blocks}</section>
  <section><h2>Payment method</h2><ul class="methods">{method_html}</ul></section>
  <section><h2>Invoice history</h2>{history}</section>
</main>"""
    return layout(f"{store.account_name} · Billing", body, css_class="portal-page")


@route("GET", "/p/session/{session}", area="page")
def portal_show(store: Store, request: Request) -> Response:
    portal = _portal_session(store, request)
    if portal is None:
        return not_found()
    return Response.html(portal_page(store, portal))


def _portal_subscription(store: Store, request: Request) -> tuple[dict | None, dict | None]:
    portal = _portal_session(store, request)
    subscription = store.find(request.path_params["subscription"])
    if (
        portal is None
        or subscription is None
        or subscription["object"] != "subscription"
        or subscription["customer"] != portal["customer"]
    ):
        return None, None
    return portal, subscription


@route("POST", "/p/session/{session}/subscriptions/{subscription}/cancel", area="page")
def portal_cancel(store: Store, request: Request) -> Response:
    portal, subscription = _portal_subscription(store, request)
    if portal is None:
        return not_found()
    if subscription["status"] != "canceled" and not subscription["cancel_at_period_end"]:
        billing.subscription_update(store, subscription, {"cancel_at_period_end": "true"})
    return Response.redirect(f"/p/session/{portal['id']}")


@route("POST", "/p/session/{session}/subscriptions/{subscription}/resume", area="page")
def portal_resume(store: Store, request: Request) -> Response:
    portal, subscription = _portal_subscription(store, request)
    if portal is None:
        return not_found()
    if subscription["status"] != "canceled" and subscription["cancel_at_period_end"]:
        billing.subscription_update(store, subscription, {"cancel_at_period_end": "false"})
    return Response.redirect(f"/p/session/{portal['id']}")


# ------------------------------------------------------------------ invoices


def _invoice(store: Store, request: Request) -> dict | None:
    found = store.find(request.path_params["invoice"])
    return found if found and found["object"] == "invoice" else None


def invoice_page(store: Store, invoice: dict, *, error: str | None = None, form=None) -> str:
    form = form or {}
    currency = invoice["currency"]
    rows = "".join(
        f'<tr><td>{_e(line["description"])}<br><span class="muted">'
        f"{_e(formats.day(line['period']['start']))} – {_e(formats.day(line['period']['end']))}"
        f"</span></td><td>{line['quantity']}</td>"
        f"<td>{_e(formats.money(line['amount'], currency))}</td></tr>"
        for line in invoice["lines"]["data"]
    )
    status = invoice["status"]
    if status == "paid":
        when = f"Paid {formats.day_long(invoice['status_transitions']['paid_at'])}"
    elif status == "open":
        when = "Due now"
    else:
        when = STATUS_LABELS.get(status, status)
    pay = ""
    if status == "open":
        pay = f"""
<form method="post" action="/i/{_e(invoice["id"])}/pay" class="card" id="payment-form">
  {_card_fields(error, number=form.get("card_number") or DEFAULT_CARD)}
  <button type="submit" class="primary" id="pay">
    Pay {_e(formats.money(invoice["amount_remaining"], currency))}</button>
</form>"""
    balance = ""
    if invoice["starting_balance"]:
        balance = (
            f"<tr><td>Applied balance</td><td></td>"
            f"<td>{_e(formats.money(invoice['starting_balance'], currency))}</td></tr>"
        )
    body = f"""
<main class="invoice card">
  <p class="muted">{_e(store.account_name)}</p>
  <h1>Invoice {_e(invoice["number"] or invoice["id"])}</h1>
  <p class="amount">{_e(formats.money(invoice["amount_due"], currency))}</p>
  <p><span class="status status-{_e(status)}">{_e(STATUS_LABELS.get(status, status))}</span>
    <span class="muted">{_e(when)}</span></p>
  <p class="muted">Billed to {_e(invoice["customer_email"] or invoice["customer"])}</p>
  <table><thead><tr><th>Description</th><th>Qty</th><th>Amount</th></tr></thead>
    <tbody>{rows}</tbody>
    <tfoot><tr><td>Total</td><td></td><td>{_e(formats.money(invoice["total"], currency))}</td></tr>
    {balance}
    <tr><td>Amount due</td><td></td>
      <td>{_e(formats.money(invoice["amount_due"], currency))}</td></tr></tfoot></table>
  <p><a href="/i/{_e(invoice["id"])}/pdf" id="download">Download invoice</a></p>
  {pay}
</main>"""
    return layout(f"Invoice {invoice['number'] or invoice['id']}", body, css_class="invoice-page")


@route("GET", "/i/{invoice}", area="page")
def invoice_show(store: Store, request: Request) -> Response:
    invoice = _invoice(store, request)
    if invoice is None:
        return not_found()
    return Response.html(invoice_page(store, invoice))


@route("POST", "/i/{invoice}/pay", area="page")
def invoice_submit(store: Store, request: Request) -> Response:
    invoice = _invoice(store, request)
    if invoice is None:
        return not_found()
    if invoice["status"] != "open":
        return Response.redirect(f"/i/{invoice['id']}")
    form = request.form()
    try:
        entry = billing.card_read(
            form.get("card_number", ""),
            form.get("card_expiry", ""),
            form.get("card_cvc", ""),
            now=store.now(),
        )
    except billing.CardInputError as error:
        return Response.html(invoice_page(store, invoice, error=str(error), form=form), 422)
    if entry.card.outcome == "declined":
        return Response.html(invoice_page(store, invoice, error=entry.card.message, form=form), 402)
    customer = store.objects[invoice["customer"]]
    pm = billing.payment_method_create(
        store, entry, customer_id=customer["id"], name=customer["name"], email=customer["email"]
    )
    try:
        billing.invoice_pay(store, invoice, payment_method_id=pm["id"], set_default=True)
    except StripeError as error:
        return Response.html(invoice_page(store, invoice, error=error.message, form=form), 402)
    return Response.redirect(f"/i/{invoice['id']}")


@route("GET", "/i/{invoice}/pdf", area="page")
def invoice_pdf(store: Store, request: Request) -> Response:
    invoice = _invoice(store, request)
    if invoice is None:
        return not_found()
    currency = invoice["currency"]
    lines = [
        store.account_name,
        f"Invoice {invoice['number'] or invoice['id']}",
        f"Date: {formats.day_long(invoice['created'])}",
        f"Billed to: {invoice['customer_email'] or invoice['customer']}",
        "",
    ]
    lines += [
        f"{line['description']}    {formats.money(line['amount'], currency)}"
        for line in invoice["lines"]["data"]
    ]
    lines += [
        "",
        f"Total: {formats.money(invoice['total'], currency)}",
        f"Amount due: {formats.money(invoice['amount_due'], currency)}",
        f"Amount paid: {formats.money(invoice['amount_paid'], currency)}",
        f"Status: {STATUS_LABELS.get(invoice['status'], invoice['status'])}",
        "",
        "Test mode - issued by the Stripe simulator.",
    ]
    filename = f"Invoice-{invoice['number'] or invoice['id']}.pdf"
    return Response(
        200,
        text_pdf(lines),
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


# ------------------------------------------------------------------ overview


@route("GET", "/", area="page")
def overview(store: Store, request: Request) -> Response:
    subscriptions = "".join(
        f"<tr><td><code>{_e(s['id'])}</code></td><td>{_e(s['customer'])}</td>"
        f'<td><span class="status status-{_e(s["status"])}">{_e(s["status"])}</span></td>'
        f"<td>{_e(formats.day(billing.period_of(store, s)[1]))}</td>"
        f"<td>{'yes' if s['cancel_at_period_end'] else ''}</td></tr>"
        for s in store.all("subscription")
    )
    sessions = "".join(
        f'<tr><td><a href="/c/pay/{_e(s["id"])}"><code>{_e(s["id"][:24])}…</code></a></td>'
        f"<td>{_e(s['status'])}</td><td>{_e(s['customer'])}</td></tr>"
        for s in store.all("checkout.session")[:20]
    )
    events = "".join(
        f"<tr><td><code>{_e(e['id'])}</code></td><td>{_e(e['type'])}</td>"
        f"<td>{_e(formats.day(e['created']))}</td><td>{e['pending_webhooks']}</td></tr>"
        for e in list(store.events.values())[::-1][:30]
    )
    hooks = (
        "".join(f"<li><code>{_e(endpoint.url)}</code></li>" for endpoint in store.endpoints)
        or '<li class="muted">none: events wait in the outbox</li>'
    )
    body = f"""
<main class="overview">
  <h1>{_e(store.account_name)} <span class="muted">· Stripe simulator</span></h1>
  <p class="muted">Account <code>{_e(store.account["id"])}</code> · API version
    <code>{_e(store.api_version)}</code> · {"<strong>DOWN</strong>" if store.down else "up"}</p>
  <h2>Webhook endpoints</h2><ul>{hooks}</ul>
  <h2>Subscriptions</h2>
  <table><thead><tr><th>Id</th><th>Customer</th><th>Status</th><th>Period ends</th>
    <th>Cancels</th></tr></thead><tbody>{subscriptions}</tbody></table>
  <h2>Checkout sessions</h2>
  <table><thead><tr><th>Id</th><th>Status</th><th>Customer</th></tr></thead>
    <tbody>{sessions}</tbody></table>
  <h2>Recent events</h2>
  <table><thead><tr><th>Id</th><th>Type</th><th>Created</th><th>Pending webhooks</th></tr>
    </thead><tbody>{events}</tbody></table>
  <p class="muted">JSON: <a href="/sim/state">/sim/state</a> ·
    <a href="/sim/deliveries">/sim/deliveries</a></p>
</main>"""
    return Response.html(layout("Stripe simulator", body))


@route("GET", "/static/sim.css", area="page")
def stylesheet(store: Store, request: Request) -> Response:
    return Response(
        200, (STATIC / "sim.css").read_bytes(), {"Content-Type": "text/css; charset=utf-8"}
    )


@route("GET", "/favicon.ico", area="page")
def favicon(store: Store, request: Request) -> Response:
    return Response(204)
