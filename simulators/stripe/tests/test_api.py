"""The real ``stripe`` library against the Store, in-process through ``responses``."""

import pytest
import stripe

from simulators.stripe.tests.conftest import KEY, checkout, types


def test_customer_create_retrieve_update_list(store, api):
    customer = stripe.Customer.create(
        api_key=KEY, email="owner@alpha.test", name="Alpha Shop", metadata={"x8_business": "7"}
    )
    other = stripe.Customer.create(api_key=KEY, email="owner@beta.test")

    assert customer.id.startswith("cus_")
    assert stripe.Customer.retrieve(customer.id, api_key=KEY).metadata.to_dict() == {
        "x8_business": "7"
    }
    updated = stripe.Customer.modify(
        customer.id, api_key=KEY, name="Alpha", metadata={"x8_business": "", "x8_slug": "alpha"}
    )
    assert (updated.name, updated.metadata.to_dict()) == ("Alpha", {"x8_slug": "alpha"})
    found = stripe.Customer.list(api_key=KEY, email="owner@beta.test")
    assert [c.id for c in found.data] == [other.id]
    assert [c.id for c in stripe.Customer.list(api_key=KEY, limit=1).data] == [other.id]
    event = store.events_of("customer.updated")[0]
    assert event["data"]["previous_attributes"] == {
        "metadata": {"x8_business": "7"},
        "name": "Alpha Shop",
    }


def test_lists_page_the_way_auto_paging_expects(api):
    created = [stripe.Customer.create(api_key=KEY, email=f"c{n}@x.test").id for n in range(5)]

    first = stripe.Customer.list(api_key=KEY, limit=2)
    walked = [c.id for c in first.auto_paging_iter()]

    assert first.has_more is True
    assert walked == list(reversed(created))


def test_an_unknown_id_is_stripes_404(api):
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe.Customer.retrieve("cus_missing", api_key=KEY)

    assert error.value.http_status == 404
    assert error.value.code == "resource_missing"
    assert error.value.param == "id"
    assert error.value.user_message == "No such customer: 'cus_missing'"


def test_a_wrong_key_is_an_authentication_error(store, api):
    store.api_key = "sk_test_the_right_one"

    with pytest.raises(stripe.AuthenticationError) as error:
        stripe.Customer.list(api_key="sk_test_wrong_one_1234")

    assert error.value.http_status == 401
    assert error.value.user_message.startswith("Invalid API Key provided: sk_test_")
    assert error.value.user_message.endswith("1234")
    assert stripe.Customer.list(api_key="sk_test_the_right_one").data == []


def test_any_test_key_passes_when_none_is_configured_but_not_a_live_one(api):
    assert stripe.Customer.list(api_key="sk_test_anything").object == "list"
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list(api_key="sk_live_something")


def test_missing_and_unknown_parameters_are_refused(catalog):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.checkout.Session.create(
            api_key=KEY,
            mode="subscription",
            customer=catalog.customer.id,
            line_items=[{"price": catalog.pro.id, "quantity": 1}],
        )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.create(api_key=KEY, emial="typo@x.test")
    with pytest.raises(stripe.InvalidRequestError) as no_quantity:
        stripe.checkout.Session.create(
            api_key=KEY,
            mode="subscription",
            customer=catalog.customer.id,
            line_items=[{"price": catalog.pro.id}],
            success_url="https://app.test/ok",
        )

    assert (missing.value.code, missing.value.param) == ("parameter_missing", "success_url")
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "emial")
    assert no_quantity.value.param == "line_items[0][quantity]"


def test_prices_by_lookup_key_and_the_key_moving_to_a_new_price(catalog):
    found = stripe.Price.list(api_key=KEY, lookup_keys=["x8_pro_monthly"], active=True, limit=1)
    with pytest.raises(stripe.InvalidRequestError, match="already uses that lookup key"):
        stripe.Price.create(
            api_key=KEY,
            product=catalog.product.id,
            unit_amount=2900,
            currency="usd",
            recurring={"interval": "month"},
            lookup_key="x8_pro_monthly",
        )
    newer = stripe.Price.create(
        api_key=KEY,
        product=catalog.product.id,
        unit_amount=2900,
        currency="usd",
        recurring={"interval": "month"},
        lookup_key="x8_pro_monthly",
        transfer_lookup_key=True,
        nickname="Pro",
        metadata={"x8_plan": "pro"},
    )

    assert [p.id for p in found.data] == [catalog.pro.id]
    assert found.data[0].recurring.interval == "month"
    after = stripe.Price.list(api_key=KEY, lookup_keys=["x8_pro_monthly"])
    assert [p.id for p in after.data] == [newer.id]
    assert stripe.Price.retrieve(catalog.pro.id, api_key=KEY).lookup_key is None
    assert {p.id for p in stripe.Price.list(api_key=KEY, product=catalog.product.id).data} == {
        catalog.pro.id,
        newer.id,
    }


def test_checkout_session_open_with_the_hosted_url(store, catalog):
    session = checkout(catalog, locale="auto")

    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.url == f"http://stripe.test/c/pay/{session.id}"
    assert session.expires_at == store.now() + 24 * 3600
    assert session.amount_total == 1900
    assert session.metadata.to_dict() == {"x8_business": "7"}
    assert session.subscription is None
    line_items = stripe.checkout.Session.list_line_items(session.id, api_key=KEY)
    assert [(i.price.id, i.quantity) for i in line_items.data] == [(catalog.pro.id, 1)]


def test_checkout_session_for_a_missing_price_or_customer(catalog):
    with pytest.raises(stripe.InvalidRequestError) as price:
        checkout(catalog, line_items=[{"price": "price_nope", "quantity": 1}])
    with pytest.raises(stripe.InvalidRequestError) as customer:
        checkout(catalog, customer="cus_nope")

    assert (price.value.http_status, price.value.param) == (404, "line_items[0][price]")
    assert customer.value.user_message == "No such customer: 'cus_nope'"


def test_expire_a_session(store, catalog):
    session = checkout(catalog)

    expired = stripe.checkout.Session.expire(session.id, api_key=KEY)

    assert (expired.status, expired.url) == ("expired", None)
    assert types(store.outbox_drain())[-1] == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.checkout.Session.expire(session.id, api_key=KEY)


def test_billing_portal_session(catalog):
    portal = stripe.billing_portal.Session.create(
        api_key=KEY, customer=catalog.customer.id, return_url="https://app.test/billing"
    )

    assert portal.url == f"http://stripe.test/p/session/{portal.id}"
    assert portal.return_url == "https://app.test/billing"
    assert stripe.billing_portal.Configuration.retrieve(
        portal.configuration, api_key=KEY
    ).is_default


def test_expand_puts_objects_in_place_of_ids(subscribed, catalog):
    subscription = stripe.Subscription.retrieve(
        subscribed.id,
        api_key=KEY,
        expand=["customer", "latest_invoice", "items.data.price.product"],
    )
    session = stripe.checkout.Session.list(api_key=KEY, subscription=subscribed.id).data[0]
    expanded = stripe.checkout.Session.retrieve(
        session.id, api_key=KEY, expand=["subscription", "line_items", "total_details.breakdown"]
    )
    listed = stripe.Subscription.list(
        api_key=KEY, customer=catalog.customer.id, expand=["data.customer"]
    )

    assert subscription.customer.email == "owner@alpha.test"
    assert subscription.latest_invoice.status == "paid"
    assert subscription["items"].data[0].price.product.name == "X8 Network Pro"
    assert expanded.subscription.id == subscribed.id
    assert expanded.line_items.data[0].amount_total == 1900
    assert expanded.total_details.breakdown.to_dict() == {"discounts": [], "taxes": []}
    assert listed.data[0].customer.id == catalog.customer.id
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        stripe.Subscription.retrieve(subscribed.id, api_key=KEY, expand=["status"])


def test_what_dj_stripe_expands_on_retrieve(subscribed, catalog):
    customer = stripe.Customer.retrieve(
        catalog.customer.id, api_key=KEY, expand=["default_source", "sources"]
    )
    price = stripe.Price.retrieve(
        catalog.pro.id, api_key=KEY, expand=["currency_options", "product", "tiers"]
    )
    invoice = stripe.Invoice.retrieve(
        subscribed.latest_invoice, api_key=KEY, expand=["discounts", "lines.data.discounts"]
    )
    account = stripe.Account.retrieve(api_key=KEY)
    session_id = stripe.checkout.Session.list(api_key=KEY, subscription=subscribed.id).data[0].id
    session = stripe.checkout.Session.retrieve(
        session_id,
        api_key=KEY,
        expand=["line_items", "total_details.breakdown", "line_items.data.discounts"],
    )
    features = stripe.Product.list_features(catalog.product.id, api_key=KEY)

    assert customer.sources.data == []
    assert price.product.id == catalog.product.id
    assert price.currency_options.usd.unit_amount == 1900
    assert invoice.lines.data[0].discounts == []
    assert account.id.startswith("acct_")
    assert session.line_items.data[0].discounts == []
    assert features.data == []
    assert (
        stripe.Customer.retrieve(catalog.customer.id, api_key=KEY, stripe_account=account.id).id
        == catalog.customer.id
    )
    with pytest.raises(stripe.PermissionError):
        stripe.Customer.retrieve(catalog.customer.id, api_key=KEY, stripe_account="acct_other")


def test_idempotency_replays_the_first_answer(store, api):
    first = stripe.Customer.create(api_key=KEY, email="a@x.test", idempotency_key="key-1")
    again = stripe.Customer.create(api_key=KEY, email="a@x.test", idempotency_key="key-1")

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe.Customer.list(api_key=KEY).data) == 1
    assert types(store.outbox_drain()) == ["customer.created"]


def test_idempotency_key_reused_with_other_parameters_is_refused(api):
    stripe.Customer.create(api_key=KEY, email="a@x.test", idempotency_key="key-2")

    with pytest.raises(stripe.IdempotencyError) as other_params:
        stripe.Customer.create(api_key=KEY, email="b@x.test", idempotency_key="key-2")
    with pytest.raises(stripe.IdempotencyError) as other_endpoint:
        stripe.Product.create(api_key=KEY, name="X", idempotency_key="key-2")

    assert other_params.value.http_status == 400
    assert "same parameters" in other_params.value.user_message
    assert "same endpoint" in other_endpoint.value.user_message


def test_down_mode_answers_500_to_every_call(store, api):
    store.set_down(True)

    with pytest.raises(stripe.APIError) as error:
        stripe.Customer.create(api_key=KEY, email="a@x.test")

    assert error.value.http_status == 500
    assert error.value.json_body["error"]["type"] == "api_error"
    store.set_down(False)
    assert stripe.Customer.list(api_key=KEY).data == []  # nothing was created meanwhile


def test_events_are_retrievable_and_listed_by_type(store, subscribed):
    created = store.events_of("customer.subscription.created")[0]

    event = stripe.Event.retrieve(created["id"], api_key=KEY)
    invoices = stripe.Event.list(api_key=KEY, type="invoice.*")

    assert event.type == "customer.subscription.created"
    assert event.data.object.id == subscribed.id
    assert {e.type for e in invoices.data} == {"invoice.paid"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Event.retrieve("evt_missing", api_key=KEY)


def test_event_envelope_matches_stripes(store, subscribed):
    event = store.events_of("customer.subscription.created")[0]

    assert set(event) == {
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    }
    assert event["object"] == "event"
    assert event["id"].startswith("evt_")
    assert event["livemode"] is False
    assert event["request"] == {"id": None, "idempotency_key": None}  # paid on the hosted page
    created = store.events_of("customer.created")[0]
    assert created["request"]["id"].startswith("req_")
    assert created["request"]["idempotency_key"]  # stripe-python sends one on every POST


def test_stripe_client_services_work_in_process_too(api):
    client = stripe.StripeClient(KEY, http_client=stripe.RequestsClient(), max_network_retries=0)

    customer = client.v1.customers.create(params={"email": "c@x.test"})

    assert client.v1.customers.retrieve(customer.id).email == "c@x.test"


def test_search_by_metadata_and_fields(catalog, subscribed):
    by_metadata = stripe.Customer.search(api_key=KEY, query="metadata['x8_business']:'7'")
    by_email = stripe.Customer.search(
        api_key=KEY, query="email:'owner@alpha.test' AND name~'alpha'"
    )
    active = stripe.Subscription.search(api_key=KEY, query="status:'active'")
    nothing = stripe.Customer.search(api_key=KEY, query="metadata['x8_business']:'8'")

    assert [c.id for c in by_metadata.data] == [catalog.customer.id]
    assert [c.id for c in by_email.data] == [catalog.customer.id]
    assert [s.id for s in active.data] == [subscribed.id]
    assert nothing.data == []
    with pytest.raises(stripe.InvalidRequestError, match="search understands"):
        stripe.Customer.search(api_key=KEY, query="created>1000")
