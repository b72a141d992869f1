"""Stripe Billing's behaviour: paying a Checkout Session, plan changes with prorations,
renewals, failed payments and their retries, cancellation.

Functions take the Store with its lock held and leave it consistent; they emit the events
Stripe sends for each step. Test cards decide payments:

- 4242 4242 4242 4242 (and Stripe's other success cards) pay;
- 4000 0000 0000 0341 is accepted at checkout but every charge on it fails;
- 4000 0000 0000 0002 / 9995 are declined outright;
- any other valid number is declined as "not a test card", an invalid one is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from simulators.stripe import formats, ids, objects
from simulators.stripe.errors import (
    StripeError,
    card_declined,
    invalid,
    missing,
    no_such,
    not_simulated,
)
from simulators.stripe.forms import as_bool, as_int, as_list, as_str, metadata_merge

if TYPE_CHECKING:
    from simulators.stripe.store import Store

#: Days between a failed renewal and the next attempts; after the last, the subscription ends.
RETRY_DAYS = (3, 5, 7)
#: An incomplete subscription (first payment failed) expires after this long.
INCOMPLETE_SECONDS = 23 * 3600
DECLINED = "Your card was declined."


# --------------------------------------------------------------------- cards


@dataclass(frozen=True)
class TestCard:
    brand: str
    outcome: str  # "succeeds", "charge_fails" (attaches, charges fail) or "declined"
    message: str | None = None
    decline_code: str = "generic_decline"


TEST_CARDS = {
    "4242424242424242": TestCard("visa", "succeeds"),
    "4000056655665556": TestCard("visa", "succeeds"),
    "5555555555554444": TestCard("mastercard", "succeeds"),
    "2223003122003222": TestCard("mastercard", "succeeds"),
    "378282246310005": TestCard("amex", "succeeds"),
    "4000000000000341": TestCard("visa", "charge_fails", DECLINED),
    "4000000000000002": TestCard("visa", "declined", DECLINED),
    "4000000000009995": TestCard(
        "visa", "declined", "Your card has insufficient funds.", "insufficient_funds"
    ),
}


class CardInputError(Exception):
    """What a payment form shows under the card field."""


@dataclass(frozen=True)
class CardEntry:
    number: str
    exp_month: int
    exp_year: int
    card: TestCard


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in {"34", "37"}:
        return "amex"
    if digits[:1] in {"2", "5"}:
        return "mastercard"
    return "unknown"


def card_read(number: str, expiry: str = "12 / 34", cvc: str = "123", *, now: int) -> CardEntry:
    """Check a card form as Checkout does; raises ``CardInputError`` with its message."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn(digits):
        raise CardInputError("Your card number is invalid.")
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if match is None or not 1 <= int(match.group(1)) <= 12:
        raise CardInputError("Your card's expiration date is incomplete.")
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    current = datetime.fromtimestamp(now, UTC)
    if (year, month) < (current.year, current.month):
        raise CardInputError("Your card's expiration year is in the past.")
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        raise CardInputError("Your card's security code is incomplete.")
    card = TEST_CARDS.get(digits) or TestCard(
        _brand(digits),
        "declined",
        "Your card was declined. Your request was in test mode, but used a non test card. "
        "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
        "test_mode_live_card",
    )
    return CardEntry(digits, month, year, card)


def payment_method_create(
    store: Store, entry: CardEntry, *, customer_id: str, name: str | None, email: str | None
) -> dict:
    pm = store.put(
        objects.payment_method(
            pm_id=ids.new_id("pm"),
            created=store.now(),
            customer_id=customer_id,
            brand=entry.card.brand,
            last4=entry.number[-4:],
            exp_month=entry.exp_month,
            exp_year=entry.exp_year,
            fingerprint=hashlib.sha256(entry.number.encode()).hexdigest()[:16],
            name=name,
            email=email,
        )
    )
    store.private_of(pm["id"])["outcome"] = entry.card.outcome
    return pm


def _charge_succeeds(store: Store, payment_method_id: str | None) -> bool:
    if not payment_method_id:
        return False
    return store.private_of(payment_method_id).get("outcome") == "succeeds"


# ------------------------------------------------------------------ helpers


def diff(before: dict, after: dict) -> dict:
    """``previous_attributes``: the earlier value of every top-level key that changed."""
    return {
        key: before.get(key)
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def period_of(store: Store, subscription: dict) -> tuple[int, int]:
    first = store.objects[subscription["items"][0]]
    return first["current_period_start"], first["current_period_end"]


def _price_interval(price: dict) -> tuple[str, int]:
    recurring = price.get("recurring") or {}
    return recurring.get("interval", "month"), recurring.get("interval_count", 1)


def _product_name(store: Store, price: dict) -> str:
    product = store.find(price["product"])
    return product["name"] if product else price["product"]


def _line_label(store: Store, price: dict, quantity: int) -> str:
    interval = formats.interval_label(price.get("recurring"))
    amount = formats.money(price["unit_amount"], price["currency"])
    return f"{quantity} × {_product_name(store, price)} (at {amount} / {interval})"


def _line_spec(
    *,
    amount: int,
    description: str,
    item: dict,
    price: dict,
    quantity: int,
    start: int,
    end: int,
    proration: bool = False,
) -> dict:
    return {
        "amount": amount,
        "description": description,
        "item": item["id"],
        "price": price["id"],
        "quantity": quantity,
        "start": start,
        "end": end,
        "proration": proration,
    }


# ------------------------------------------------------------------ invoices


def invoice_create(
    store: Store,
    subscription: dict,
    *,
    reason: str,
    specs: list[dict],
    period_start: int,
    period_end: int,
    at: int,
) -> dict:
    invoice_id = ids.new_id("in")
    lines = [
        objects.invoice_line(
            line_id=ids.new_id("il"),
            invoice_id=invoice_id,
            amount=spec["amount"],
            currency=subscription["currency"],
            description=spec["description"],
            subscription_id=subscription["id"],
            item_id=spec["item"],
            price_obj=store.objects[spec["price"]],
            quantity=spec["quantity"],
            period_start=spec["start"],
            period_end=spec["end"],
            proration=spec["proration"],
        )
        for spec in specs
    ]
    invoice = objects.invoice(
        invoice_id=invoice_id,
        created=at,
        customer=store.objects[subscription["customer"]],
        subscription_obj=subscription,
        billing_reason=reason,
        lines=lines,
        period_start=period_start,
        period_end=period_end,
        account_name=store.account_name,
        public_url=store.public_url,
    )
    return store.put(invoice)


def invoice_finalize(store: Store, invoice: dict, *, at: int) -> None:
    """Number the invoice and apply the customer's balance (a credit lowers what is due)."""
    customer = store.objects[invoice["customer"]]
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    applied = invoice["total"] + customer["balance"]
    invoice["starting_balance"] = customer["balance"]
    invoice["ending_balance"] = min(0, applied)
    customer["balance"] = min(0, applied)
    invoice["amount_due"] = max(0, applied)
    invoice["amount_remaining"] = invoice["amount_due"]
    invoice["number"] = f"{customer['invoice_prefix']}-{sequence:04d}"
    invoice["status"] = "open"
    invoice["status_transitions"]["finalized_at"] = at
    invoice["effective_at"] = at
    invoice["webhooks_delivered_at"] = at


def _invoice_paid(invoice: dict, *, at: int) -> None:
    invoice["amount_paid"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["attempted"] = True
    invoice["auto_advance"] = False
    invoice["next_payment_attempt"] = None
    invoice["status"] = "paid"
    invoice["status_transitions"]["paid_at"] = at


def invoice_attempt(
    store: Store, invoice: dict, payment_method_id: str | None, *, at: int, fail: bool = False
) -> bool:
    """Charge an open invoice; on failure schedule the next attempt (renewals only)."""
    if invoice["amount_due"] == 0:
        _invoice_paid(invoice, at=at)
        return True
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if not fail and _charge_succeeds(store, payment_method_id):
        _invoice_paid(invoice, at=at)
        return True
    retries = invoice["billing_reason"] != "subscription_create"
    count = invoice["attempt_count"]
    invoice["next_payment_attempt"] = (
        at + RETRY_DAYS[count - 1] * 86400 if retries and count <= len(RETRY_DAYS) else None
    )
    return False


def _open_invoices(store: Store, subscription: dict) -> list[dict]:
    return [
        invoice
        for invoice in store.all("invoice")
        if invoice["subscription"] == subscription["id"] and invoice["status"] == "open"
    ]


def _standing(store: Store, subscription: dict) -> str:
    """Status once nothing is owed: trialing until the trial ends, else active."""
    trial_end = subscription.get("trial_end")
    return "trialing" if trial_end and trial_end > store.now() else "active"


def invoice_pay(
    store: Store,
    invoice: dict,
    *,
    payment_method_id: str | None = None,
    out_of_band: bool = False,
    set_default: bool = False,
) -> None:
    """Pay an open invoice (API ``/pay``, hosted invoice page). Raises 402 if declined."""
    if invoice["status"] == "paid":
        raise StripeError(400, "Invoice is already paid.", code="invoice_already_paid")
    if invoice["status"] in ("void", "uncollectible"):
        raise StripeError(400, f"This invoice is {invoice['status']} and cannot be paid.")
    at = store.now()
    if invoice["status"] == "draft":
        invoice_finalize(store, invoice, at=at)
    subscription = store.find(invoice["subscription"])
    before = store.render(subscription) if subscription else None
    if subscription and set_default and payment_method_id:
        subscription["default_payment_method"] = payment_method_id
    customer = store.objects[invoice["customer"]]
    method = (
        payment_method_id
        or (subscription or {}).get("default_payment_method")
        or customer["invoice_settings"]["default_payment_method"]
    )
    if out_of_band:
        _invoice_paid(invoice, at=at)
        invoice["attempted"] = invoice["attempt_count"] > 0
        paid = True
    else:
        if not method:
            raise StripeError(
                400,
                "There is no payment method to pay this invoice with; pass `payment_method`.",
                param="payment_method",
            )
        paid = invoice_attempt(store, invoice, method, at=at)
    if not paid:
        store.emit("invoice.payment_failed", invoice)
        if subscription and before and diff(before, store.render(subscription)):
            store.emit(
                "customer.subscription.updated",
                subscription,
                diff(before, store.render(subscription)),
            )
        raise card_declined(DECLINED)
    owing = subscription and subscription["status"] in ("past_due", "incomplete", "unpaid")
    if owing and not _open_invoices(store, subscription):
        subscription["status"] = _standing(store, subscription)
    store.emit("invoice.paid", invoice)
    if subscription and before:
        changed = diff(before, store.render(subscription))
        if changed:
            store.emit("customer.subscription.updated", subscription, changed)


# ------------------------------------------------------------------ checkout


@dataclass
class CheckoutResult:
    session: dict
    paid: bool
    error: str | None = None
    already_paid: bool = False

    @property
    def redirect_url(self) -> str | None:
        if not self.paid:
            return None
        return self.session["success_url"].replace("{CHECKOUT_SESSION_ID}", self.session["id"])


def checkout_pay(
    store: Store,
    session_id: str,
    *,
    card_number: str,
    expiry: str = "12 / 34",
    cvc: str = "123",
    name: str | None = None,
    email: str | None = None,
) -> CheckoutResult:
    """Pay a Checkout Session with a test card, as its hosted page does.

    Success creates the subscription and its paid first invoice, completes the session and
    emits ``customer.subscription.created``, ``checkout.session.completed``, ``invoice.paid``.
    A card whose charges fail leaves an ``incomplete`` subscription with an open invoice
    (``invoice.payment_failed``) and the session open, to be paid again with another card.
    Paying a complete session again changes nothing.
    """
    session = store.get(session_id, "checkout.session")
    if session["status"] == "complete":
        return CheckoutResult(store.render(session), paid=True, already_paid=True)
    if session["status"] == "expired":
        return CheckoutResult(
            store.render(session), paid=False, error="This Checkout Session has expired."
        )
    now = store.now()
    try:
        entry = card_read(card_number, expiry, cvc, now=now)
    except CardInputError as error:
        return CheckoutResult(store.render(session), paid=False, error=str(error))
    if entry.card.outcome == "declined":
        return CheckoutResult(store.render(session), paid=False, error=entry.card.message)

    customer = _checkout_customer(store, session, email=email, name=name)
    if customer is not None and customer.get("deleted"):
        return CheckoutResult(
            store.render(session), paid=False, error="This customer no longer exists."
        )
    if customer is None:
        return CheckoutResult(store.render(session), paid=False, error="Your email is incomplete.")
    pm = payment_method_create(
        store,
        entry,
        customer_id=customer["id"],
        name=name or customer["name"],
        email=customer["email"],
    )
    private = store.private_of(session["id"])
    waiting = store.find(private.get("subscription"))
    if waiting is not None and waiting["status"] == "incomplete":
        before = store.render(waiting)
        waiting["default_payment_method"] = pm["id"]
        invoice = store.objects[waiting["latest_invoice"]]
        if not invoice_attempt(store, invoice, pm["id"], at=now):
            store.emit("invoice.payment_failed", invoice)
            return CheckoutResult(store.render(session), paid=False, error=DECLINED)
        waiting["status"] = _standing(store, waiting)
        store.emit("customer.subscription.updated", waiting, diff(before, store.render(waiting)))
        _checkout_complete(store, session, waiting, invoice, customer, name=name)
        return CheckoutResult(store.render(session), paid=True)

    subscription, invoice = _subscription_start(store, session, customer, pm, at=now)
    if not invoice_attempt(store, invoice, pm["id"], at=now):
        subscription["status"] = "incomplete"
        private["subscription"] = subscription["id"]
        store.emit("customer.subscription.created", subscription)
        store.emit("invoice.payment_failed", invoice)
        return CheckoutResult(store.render(session), paid=False, error=DECLINED)
    subscription["status"] = _standing(store, subscription)
    store.emit("customer.subscription.created", subscription)
    _checkout_complete(store, session, subscription, invoice, customer, name=name)
    return CheckoutResult(store.render(session), paid=True)


def _checkout_customer(store: Store, session: dict, *, email: str | None, name: str | None):
    if session["customer"]:
        return store.objects[session["customer"]]
    email = session["customer_email"] or (email or "").strip()
    if "@" not in email:
        return None
    customer = store.put(
        objects.customer(
            customer_id=ids.new_id("cus", ids.SHORT),
            created=store.now(),
            email=email,
            name=name or None,
            metadata={},
        )
    )
    session["customer"] = customer["id"]
    store.emit("customer.created", customer)
    return customer


def _subscription_start(
    store: Store, session: dict, customer: dict, pm: dict, *, at: int
) -> tuple[dict, dict]:
    private = store.private_of(session["id"])
    wanted = private["line_items"]
    data = private.get("subscription_data") or {}
    first_price = store.objects[wanted[0]["price"]]
    interval, count = _price_interval(first_price)
    trial_days = data.get("trial_period_days")
    subscription_id = ids.new_id("sub")
    start = at
    if trial_days:
        end = at + int(trial_days) * 86400
        anchor, cycle = end, -1
    else:
        end = formats.shift(at, interval, count, 1)
        anchor, cycle = at, 0
    items = []
    for wanted_item in wanted:
        items.append(
            store.put(
                objects.subscription_item(
                    item_id=ids.new_id("si", ids.SHORT),
                    created=at,
                    subscription_id=subscription_id,
                    price_id=wanted_item["price"],
                    quantity=wanted_item["quantity"],
                    period_start=start,
                    period_end=end,
                )
            )
        )
    subscription = objects.subscription(
        subscription_id=subscription_id,
        created=at,
        customer_id=customer["id"],
        currency=session["currency"],
        metadata=dict(data.get("metadata") or {}),
        item_ids=[item["id"] for item in items],
        payment_method_id=pm["id"],
    )
    subscription["billing_cycle_anchor"] = anchor
    subscription["description"] = data.get("description")
    if trial_days:
        subscription["trial_start"], subscription["trial_end"] = at, end
    store.put(subscription)
    store.private_of(subscription_id).update(
        {"anchor": anchor, "cycle": cycle, "pending_lines": [], "checkout_session": session["id"]}
    )
    if customer["currency"] is None:
        customer["currency"] = session["currency"]
    specs = []
    for item in items:
        price = store.objects[item["price"]]
        if trial_days:
            amount, label = 0, f"Trial period for {_product_name(store, price)}"
        else:
            amount = price["unit_amount"] * item["quantity"]
            label = _line_label(store, price, item["quantity"])
        specs.append(
            _line_spec(
                amount=amount,
                description=label,
                item=item,
                price=price,
                quantity=item["quantity"],
                start=start,
                end=end,
            )
        )
    invoice = invoice_create(
        store,
        subscription,
        reason="subscription_create",
        specs=specs,
        period_start=at,
        period_end=at,
        at=at,
    )
    invoice_finalize(store, invoice, at=at)
    subscription["latest_invoice"] = invoice["id"]
    return subscription, invoice


def _checkout_complete(
    store: Store, session: dict, subscription: dict, invoice: dict, customer: dict, *, name
) -> None:
    session["status"] = "complete"
    session["payment_status"] = "paid" if invoice["amount_paid"] else "no_payment_required"
    session["subscription"] = subscription["id"]
    session["invoice"] = invoice["id"]
    session["customer"] = customer["id"]
    session["customer_details"] = objects.customer_details(
        email=customer["email"], name=name or customer["name"]
    )
    session["collected_information"] = {
        "business_name": None,
        "individual_name": None,
        "shipping_details": None,
    }
    session["url"] = None
    store.emit("checkout.session.completed", session)
    store.emit("invoice.paid", invoice)


def checkout_expire(store: Store, session: dict) -> None:
    if session["status"] != "open":
        raise StripeError(
            400,
            f"Only Checkout Sessions with a status of `open` can be expired; this one is "
            f"`{session['status']}`.",
        )
    session["status"] = "expired"
    session["url"] = None
    store.emit("checkout.session.expired", session)


# ------------------------------------------------------------- subscriptions


PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")
PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
    "default_incomplete",
)
CANCELED_ONLY = {"metadata", "cancellation_details", "expand"}
ITEM_KEYS = {"id", "price", "plan", "quantity", "deleted", "metadata"}
ITEM_KNOWN = {"billing_thresholds", "clear_usage", "discounts", "price_data", "tax_rates"}


def _recurring_price(store: Store, price_id: str, param: str, subscription: dict) -> dict:
    price = store.find(price_id)
    if price is None or price["object"] != "price":
        raise no_such("price", price_id, param)
    if not price["active"]:
        raise invalid(
            param, "The price specified is inactive. This field only accepts active prices."
        )
    if price["type"] != "recurring":
        raise invalid(
            param,
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
        )
    if price["currency"] != subscription["currency"]:
        raise invalid(
            param,
            f"The price specified has currency `{price['currency']}`; this subscription is billed "
            f"in `{subscription['currency']}`.",
        )
    return price


def _item_changes(store: Store, subscription: dict, entries: list) -> list[dict]:
    """Validated item changes: ``{"item", "old_price", "old_quantity", "price", "quantity",
    "deleted", "metadata"}`` (``item`` None for a new one)."""
    changes = []
    current = set(subscription["items"])
    for index, entry in enumerate(entries):
        label = f"items[{index}]"
        if not isinstance(entry, dict):
            raise invalid(label, f"Invalid object: {label} must be a hash")
        for key in entry:
            if key in ITEM_KNOWN:
                raise not_simulated(f"{label}[{key}]")
            if key not in ITEM_KEYS:
                raise invalid(
                    f"{label}[{key}]",
                    f"Received unknown parameter: {label}[{key}]",
                    code="parameter_unknown",
                )
        item_id = as_str(entry, "id", label=f"{label}[id]")
        price_id = as_str(entry, "price", label=f"{label}[price]") or as_str(
            entry, "plan", label=f"{label}[plan]"
        )
        quantity = as_int(entry, "quantity", label=f"{label}[quantity]")
        if quantity is not None and quantity < 1:
            raise invalid(
                f"{label}[quantity]",
                "Quantity must be at least 1.",
                code="parameter_invalid_integer",
            )
        deleted = bool(as_bool(entry, "deleted", label=f"{label}[deleted]"))
        item = None
        if item_id:
            item = store.find(item_id)
            if item is None or item["object"] != "subscription_item" or item_id not in current:
                raise no_such("subscription_item", item_id, f"{label}[id]")
        elif deleted:
            raise missing(f"{label}[id]")
        elif not price_id:
            raise missing(f"{label}[price]")
        price = (
            _recurring_price(store, price_id, f"{label}[price]", subscription) if price_id else None
        )
        metadata = entry.get("metadata")
        changes.append(
            {
                "item": item,
                "old_price": store.objects[item["price"]] if item else None,
                "old_quantity": item["quantity"] if item else 0,
                "price": price or (store.objects[item["price"]] if item else None),
                "quantity": quantity or (item["quantity"] if item else 1),
                "deleted": deleted,
                "metadata": metadata,
            }
        )
    remaining = len(current) - sum(1 for change in changes if change["deleted"])
    remaining += sum(1 for change in changes if change["item"] is None)
    if remaining < 1:
        raise invalid("items", "A subscription must have at least one active item.")
    intervals = {
        _price_interval(change["price"]) for change in changes if not change["deleted"]
    } | {
        _price_interval(store.objects[store.objects[item_id]["price"]])
        for item_id in current
        if item_id not in {c["item"]["id"] for c in changes if c["item"]}
    }
    if len(intervals) > 1:
        raise invalid(
            "items",
            "Currency and interval fields must match across all plans on this subscription.",
        )
    return changes


def _proration_specs(
    store: Store, changes: list[dict], *, start: int, end: int, when: int
) -> list[dict]:
    moment = min(max(when, start), end)
    fraction = (end - moment) / (end - start) if end > start else 0.0
    after = formats.day(moment)
    specs = []
    for change in changes:
        old_price, price = change["old_price"], change["price"]
        same = (
            old_price is not None
            and not change["deleted"]
            and old_price["id"] == price["id"]
            and change["old_quantity"] == change["quantity"]
        )
        if same:
            continue
        item = change["item"] or change["new_item"]
        if old_price is not None:
            quantity = change["old_quantity"]
            amount = -round(old_price["unit_amount"] * quantity * fraction)
            name = _product_name(store, old_price)
            label = (
                f"Unused time on {quantity} × {name}" if quantity > 1 else f"Unused time on {name}"
            )
            specs.append(
                _line_spec(
                    amount=amount,
                    description=f"{label} after {after}",
                    item=item,
                    price=old_price,
                    quantity=quantity,
                    start=moment,
                    end=end,
                    proration=True,
                )
            )
        if not change["deleted"]:
            quantity = change["quantity"]
            amount = round(price["unit_amount"] * quantity * fraction)
            name = _product_name(store, price)
            label = (
                f"Remaining time on {quantity} × {name}"
                if quantity > 1
                else f"Remaining time on {name}"
            )
            specs.append(
                _line_spec(
                    amount=amount,
                    description=f"{label} after {after}",
                    item=item,
                    price=price,
                    quantity=quantity,
                    start=moment,
                    end=end,
                    proration=True,
                )
            )
    return specs


def subscription_update(store: Store, subscription: dict, params: dict) -> None:
    """``POST /v1/subscriptions/:id``: plan change (with prorations), cancel at period end or
    take it back, metadata. Emits ``customer.subscription.updated`` with the previous values,
    then ``invoice.paid`` / ``invoice.payment_failed`` for an immediate proration invoice."""
    if subscription["status"] in ("canceled", "incomplete_expired") and set(params) - CANCELED_ONLY:
        raise StripeError(
            400, "A canceled subscription can only update its cancellation_details and metadata."
        )
    now = store.now()
    behavior = as_str(params, "proration_behavior") or "create_prorations"
    if behavior not in PRORATION_BEHAVIORS:
        raise invalid(
            "proration_behavior",
            f"Invalid proration_behavior: must be one of {', '.join(PRORATION_BEHAVIORS)}",
        )
    payment_behavior = as_str(params, "payment_behavior") or "allow_incomplete"
    if payment_behavior not in PAYMENT_BEHAVIORS:
        raise invalid(
            "payment_behavior",
            f"Invalid payment_behavior: must be one of {', '.join(PAYMENT_BEHAVIORS)}",
        )
    proration_date = as_int(params, "proration_date") or now
    metadata = metadata_merge(subscription["metadata"], params.get("metadata"))
    cancel_at_period_end = as_bool(params, "cancel_at_period_end")
    details = params.get("cancellation_details")
    if details is not None and not isinstance(details, dict):
        raise invalid("cancellation_details", "Invalid object: cancellation_details must be a hash")
    method = as_str(params, "default_payment_method")
    if method:
        pm = store.find(method)
        if pm is None or pm["object"] != "payment_method":
            raise no_such("PaymentMethod", method, "default_payment_method")
        if pm["customer"] != subscription["customer"]:
            raise invalid(
                "default_payment_method",
                "The PaymentMethod provided does not belong to this subscription's customer.",
            )
    entries = as_list(params, "items") or []
    changes = _item_changes(store, subscription, entries) if entries else []
    start, end = period_of(store, subscription)
    charge_method = method or subscription["default_payment_method"]

    before = store.render(subscription)
    for change in changes:
        change["new_item"] = None
        if change["item"] is None:
            change["new_item"] = {"id": ids.new_id("si", ids.SHORT)}
    specs = (
        _proration_specs(store, changes, start=start, end=end, when=proration_date)
        if behavior != "none"
        else []
    )
    immediate = behavior == "always_invoice" and specs
    if (
        immediate
        and payment_behavior == "error_if_incomplete"
        and sum(spec["amount"] for spec in specs)
        + store.objects[subscription["customer"]]["balance"]
        > 0
        and not _charge_succeeds(store, charge_method)
    ):
        raise card_declined(DECLINED)

    for change in changes:
        item = change["item"]
        if change["deleted"]:
            subscription["items"].remove(item["id"])
            store.objects.pop(item["id"], None)
            continue
        if item is None:
            item = store.put(
                objects.subscription_item(
                    item_id=change["new_item"]["id"],
                    created=now,
                    subscription_id=subscription["id"],
                    price_id=change["price"]["id"],
                    quantity=change["quantity"],
                    period_start=start,
                    period_end=end,
                )
            )
            subscription["items"].append(item["id"])
        item["price"] = change["price"]["id"]
        item["quantity"] = change["quantity"]
        if change["metadata"] is not None:
            item["metadata"] = metadata_merge(item["metadata"], change["metadata"])
    subscription["metadata"] = metadata
    if "description" in params:
        subscription["description"] = as_str(params, "description") or None
    if method:
        subscription["default_payment_method"] = method
    if details:
        for key in ("comment", "feedback"):
            if key in details:
                subscription["cancellation_details"][key] = details[key] or None
    if cancel_at_period_end is not None and subscription["status"] not in ("canceled",):
        subscription["cancel_at_period_end"] = cancel_at_period_end
        if cancel_at_period_end:
            subscription["cancel_at"] = end
            subscription["canceled_at"] = now
            subscription["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            subscription["cancel_at"] = None
            subscription["canceled_at"] = None
            subscription["cancellation_details"] = {
                "comment": None,
                "feedback": None,
                "reason": None,
            }

    invoice = None
    paid = True
    if immediate:
        invoice = invoice_create(
            store,
            subscription,
            reason="subscription_update",
            specs=specs,
            period_start=now,
            period_end=now,
            at=now,
        )
        invoice_finalize(store, invoice, at=now)
        subscription["latest_invoice"] = invoice["id"]
        paid = invoice_attempt(store, invoice, charge_method, at=now)
        if not paid and subscription["status"] in ("active", "trialing"):
            subscription["status"] = "past_due"
    elif specs:
        store.private_of(subscription["id"]).setdefault("pending_lines", []).extend(specs)

    changed = diff(before, store.render(subscription))
    if changed:
        store.emit("customer.subscription.updated", subscription, changed)
    if invoice is not None:
        store.emit("invoice.paid" if paid else "invoice.payment_failed", invoice)


def subscription_cancel(
    store: Store,
    subscription: dict,
    *,
    at: int | None = None,
    comment: str | None = None,
    feedback: str | None = None,
) -> None:
    """End the subscription now (or at ``at``): ``customer.subscription.deleted``."""
    if subscription["status"] == "canceled":
        raise StripeError(
            400,
            f"This subscription has already been canceled ({subscription['id']}).",
            code="resource_missing",
        )
    at = store.now() if at is None else at
    subscription["status"] = "canceled"
    subscription["canceled_at"] = subscription["canceled_at"] or at
    subscription["ended_at"] = at
    details = subscription["cancellation_details"]
    details["reason"] = details["reason"] or "cancellation_requested"
    if comment is not None:
        details["comment"] = comment or None
    if feedback is not None:
        details["feedback"] = feedback or None
    for invoice in _open_invoices(store, subscription):
        invoice["auto_advance"] = False
        invoice["next_payment_attempt"] = None
    store.emit("customer.subscription.deleted", subscription)


def subscription_renew(
    store: Store, subscription: dict, *, fail: bool = False, at: int | None = None
) -> None:
    """The next billing period: a ``subscription_cycle`` invoice charged to the default card.
    Emits ``invoice.paid`` (or ``invoice.payment_failed`` and status ``past_due``), then
    ``customer.subscription.updated``. A subscription set to cancel at period end ends."""
    if subscription["status"] in ("canceled", "incomplete", "incomplete_expired"):
        raise StripeError(
            400, f"A subscription with status `{subscription['status']}` does not renew."
        )
    at = store.now() if at is None else at
    old_start, old_end = period_of(store, subscription)
    if subscription["cancel_at_period_end"]:
        subscription_cancel(store, subscription, at=old_end)
        return
    before = store.render(subscription)
    private = store.private_of(subscription["id"])
    first = store.objects[subscription["items"][0]]
    interval, count = _price_interval(store.objects[first["price"]])
    cycle = private.get("cycle", 0) + 1
    anchor = private.get("anchor", subscription["billing_cycle_anchor"])
    start = formats.shift(anchor, interval, count, cycle)
    end = formats.shift(anchor, interval, count, cycle + 1)
    private["cycle"] = cycle
    specs = list(private.get("pending_lines") or [])
    private["pending_lines"] = []
    for item_id in subscription["items"]:
        item = store.objects[item_id]
        item["current_period_start"], item["current_period_end"] = start, end
        price = store.objects[item["price"]]
        specs.append(
            _line_spec(
                amount=price["unit_amount"] * item["quantity"],
                description=_line_label(store, price, item["quantity"]),
                item=item,
                price=price,
                quantity=item["quantity"],
                start=start,
                end=end,
            )
        )
    invoice = invoice_create(
        store,
        subscription,
        reason="subscription_cycle",
        specs=specs,
        period_start=old_start,
        period_end=old_end,
        at=at,
    )
    invoice_finalize(store, invoice, at=at)
    subscription["latest_invoice"] = invoice["id"]
    if invoice_attempt(store, invoice, subscription["default_payment_method"], at=at, fail=fail):
        subscription["status"] = "past_due" if _open_invoices(store, subscription) else "active"
        store.emit("invoice.paid", invoice)
    else:
        subscription["status"] = "past_due"
        store.emit("invoice.payment_failed", invoice)
    store.emit(
        "customer.subscription.updated", subscription, diff(before, store.render(subscription))
    )


def subscription_fail_payment(store: Store, subscription: dict) -> None:
    """The renewal's charge fails: a failing ``subscription_cycle`` invoice (or, when one is
    already open, another failed attempt on it) and status ``past_due``."""
    if subscription["status"] == "past_due":
        invoice = next(iter(_open_invoices(store, subscription)), None)
        if invoice is not None:
            invoice_attempt(store, invoice, None, at=store.now(), fail=True)
            store.emit("invoice.payment_failed", invoice)
            return
    subscription_renew(store, subscription, fail=True)


# ---------------------------------------------------------------- time passing


def process_due(store: Store) -> None:
    """What Stripe does as time passes: expire sessions and incomplete subscriptions, renew,
    retry failed renewals (``RETRY_DAYS``) and end subscriptions whose retries ran out or that
    were set to cancel at period end."""
    now = store.now()
    for session in store.all("checkout.session"):
        if session["status"] == "open" and session["expires_at"] <= now:
            checkout_expire(store, session)
    for subscription in reversed(store.all("subscription")):
        for _step in range(60):
            if not _advance(store, subscription, now):
                break


def _advance(store: Store, subscription: dict, now: int) -> bool:
    status = subscription["status"]
    if status == "incomplete" and subscription["created"] + INCOMPLETE_SECONDS <= now:
        before = store.render(subscription)
        subscription["status"] = "incomplete_expired"
        subscription["ended_at"] = now
        for invoice in _open_invoices(store, subscription):
            invoice["status"] = "void"
            invoice["status_transitions"]["voided_at"] = now
            invoice["next_payment_attempt"] = None
            invoice["amount_remaining"] = 0
        store.emit(
            "customer.subscription.updated", subscription, diff(before, store.render(subscription))
        )
        return False
    if status == "past_due":
        invoice = next(
            (
                invoice
                for invoice in _open_invoices(store, subscription)
                if invoice["next_payment_attempt"] and invoice["next_payment_attempt"] <= now
            ),
            None,
        )
        if invoice is None:
            if invoice_has_given_up(store, subscription):
                subscription_cancel(store, subscription, at=now)
            return False
        at = invoice["next_payment_attempt"]
        before = store.render(subscription)
        if invoice_attempt(store, invoice, subscription["default_payment_method"], at=at):
            if not _open_invoices(store, subscription):
                subscription["status"] = "active"
            store.emit("invoice.paid", invoice)
            changed = diff(before, store.render(subscription))
            if changed:
                store.emit("customer.subscription.updated", subscription, changed)
            return True
        store.emit("invoice.payment_failed", invoice)
        if invoice["next_payment_attempt"] is None:
            subscription_cancel(store, subscription, at=at)
            return False
        return True
    if status in ("active", "trialing"):
        _start, end = period_of(store, subscription)
        if end > now:
            return False
        if subscription["cancel_at_period_end"]:
            subscription_cancel(store, subscription, at=end)
            return False
        subscription_renew(store, subscription, at=end)
        return True
    return False


def invoice_has_given_up(store: Store, subscription: dict) -> bool:
    """A past-due subscription whose open invoice has no attempt left."""
    return any(
        invoice["next_payment_attempt"] is None and invoice["attempt_count"] > len(RETRY_DAYS)
        for invoice in _open_invoices(store, subscription)
    )
