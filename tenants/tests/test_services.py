from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.errors import TenantsError, TenantsErrorCode
from tenants.models import Domain
from tenants.services import business_create, slug_validate


@pytest.mark.parametrize("slug", ["ab", "-shop", "shop-", "Shop Name", "shop_name", "a--b", "ш-shop",
                                  "x" * 41])
def test_malformed_slugs_are_refused(db, slug):
    with pytest.raises(TenantsError) as error:
        slug_validate(slug)
    assert error.value.code == TenantsErrorCode.SLUG_INVALID


@pytest.mark.parametrize("slug", ["www", "admin", "api", "static", "webhooks", "tenant_template"])
def test_reserved_slugs_are_refused(db, slug):
    with pytest.raises(TenantsError) as error:
        slug_validate(slug)
    assert error.value.code in {TenantsErrorCode.SLUG_RESERVED, TenantsErrorCode.SLUG_INVALID}


def test_taken_slug_is_refused(business_a):
    with pytest.raises(TenantsError) as error:
        slug_validate("alpha")
    assert error.value.code == TenantsErrorCode.SLUG_TAKEN


def test_slug_is_normalised(db):
    assert slug_validate("  Corner-Shop ") == "corner-shop"


def test_business_gets_its_host_and_a_seven_day_trial(db):
    business = business_create(name="  Corner Shop ", slug="corner-shop")
    assert business.name == "Corner Shop"
    assert business.schema_name == "biz_corner_shop"
    assert Domain.objects.get(tenant=business).domain == "corner-shop.localhost"
    assert timezone.now() + timedelta(days=6, hours=23) < business.trial_ends_at
    assert business.trial_ends_at <= timezone.now() + timedelta(days=7)
    assert business.trial_days_left() == 7
    assert business.portal_url("/x/") == "http://corner-shop.localhost:8000/x/"


def test_trial_days_left_counts_down_to_zero(db):
    business = business_create(name="Tick", slug="tick-tock")
    now = business.trial_ends_at - timedelta(days=1, hours=3)
    assert business.trial_days_left(now=now) == 2
    assert business.trial_days_left(now=business.trial_ends_at + timedelta(seconds=1)) == 0
