import pytest

from simulators.stripe.errors import StripeError
from simulators.stripe.forms import as_bool, as_int, metadata_merge, parse


def test_bracket_notation_becomes_nested_dicts_and_lists():
    body = (
        "mode=subscription&line_items[0][price]=price_a&line_items[0][quantity]=1"
        "&line_items[1][price]=price_b&line_items[1][quantity]=2"
        "&metadata[business]=7&subscription_data[metadata][plan]=pro"
        "&expand[0]=subscription&expand[1]=customer"
    )

    assert parse(body) == {
        "mode": "subscription",
        "line_items": [
            {"price": "price_a", "quantity": "1"},
            {"price": "price_b", "quantity": "2"},
        ],
        "metadata": {"business": "7"},
        "subscription_data": {"metadata": {"plan": "pro"}},
        "expand": ["subscription", "customer"],
    }


def test_empty_brackets_append_and_indexes_sort_numerically():
    assert parse("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}
    assert parse("items[10][id]=x&items[2][id]=y") == {"items": [{"id": "y"}, {"id": "x"}]}


def test_url_encoding_and_empty_values_are_kept():
    parsed = parse(
        b"success_url=https%3A%2F%2Fa.test%2F%3Fs%3D%7BCHECKOUT_SESSION_ID%7D&metadata[old]="
    )

    assert parsed["success_url"] == "https://a.test/?s={CHECKOUT_SESSION_ID}"
    assert parsed["metadata"] == {"old": ""}


def test_a_key_given_as_value_and_hash_is_refused():
    with pytest.raises(StripeError) as error:
        parse("metadata=x&metadata[a]=b")

    assert error.value.status == 400


def test_typed_readers_give_stripes_errors():
    assert as_int({"n": "-12"}, "n") == -12
    assert as_bool({"b": "true"}, "b") is True
    with pytest.raises(StripeError) as error:
        as_int({"unit_amount": "12.5"}, "unit_amount")
    assert error.value.body()["error"]["code"] == "parameter_invalid_integer"
    with pytest.raises(StripeError) as error:
        as_int({}, "unit_amount", required=True)
    assert error.value.body()["error"] == {
        "message": "Missing required param: unit_amount.",
        "type": "invalid_request_error",
        "code": "parameter_missing",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-missing",
        "param": "unit_amount",
    }


def test_metadata_update_sets_removes_and_clears():
    current = {"a": "1", "b": "2"}

    assert metadata_merge(current, {"b": "", "c": "3"}) == {"a": "1", "c": "3"}
    assert metadata_merge(current, "") == {}
    assert metadata_merge(current, None) == current
