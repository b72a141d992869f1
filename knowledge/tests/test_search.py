"""The search the assistant uses: full text in Russian and English, typos and SKUs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from knowledge.selectors import item_search
from knowledge.services import item_create, knowledge_base_create
from tenants.companies.models import Company
from tenants.companies.services import company_create

pytestmark = pytest.mark.usefixtures("in_business_a")


@pytest.fixture
def company(in_business_a):
    company = Company.objects.get(name="Alpha Shop Main")
    base = knowledge_base_create(company=company, name="Catalogue")
    for sku, name, category, price, description in [
        ("GRD-100", "Garden hose 20 m", "Garden", "24.90", "<p>Flexible <b>rubber</b> hose</p>"),
        ("GRD-200", "Lawn mower", "Garden", "199", "Electric mower for small lawns"),
        ("KT-7", "Кофеварка капельная", "Кухня", "3490", "Готовит кофе на 10 чашек"),
        ("KT-8", "Чайник электрический", "Кухня", "1290", "Стальной корпус, 1,7 литра"),
        ("", "Стрижка йоркширского терьера", "Груминг", "2500", ""),
    ]:
        item_create(
            knowledge_base=base,
            sku=sku,
            name=name,
            category=category,
            price=Decimal(price),
            description=description,
        )
    return company


def names(hits):
    return [hit.name for hit in hits]


def test_english_words_find_items_by_stem(company):
    assert (
        names(item_search(company=company, question="do you sell garden hoses?"))[0]
        == "Garden hose 20 m"
    )


def test_russian_word_forms_find_items(company):
    hits = item_search(company=company, question="сколько стоят чайники?")
    assert names(hits)[0] == "Чайник электрический"
    assert hits[0].price == Decimal("1290.00")


def test_description_words_count_but_less_than_the_name(company):
    hits = item_search(company=company, question="кофе")
    assert "Кофеварка капельная" in names(hits)


def test_a_typo_still_finds_the_item(company):
    assert names(item_search(company=company, question="стришка йоркширскаго терьера"))[0] == (
        "Стрижка йоркширского терьера"
    )


def test_a_sku_finds_its_item_first(company):
    hits = item_search(company=company, question="is GRD-200 in stock?")
    assert names(hits)[0] == "Lawn mower"
    assert hits[0].sku == "GRD-200"


def test_nothing_matching_returns_nothing(company):
    assert item_search(company=company, question="quantum entanglement") == []
    assert item_search(company=company, question="  ?! ") == []


def test_only_the_companys_own_knowledge_bases_are_searched(company):
    other = company_create(name="Other brand", kind="product", shop_type="online")
    base = knowledge_base_create(company=other, name="Other")
    item_create(knowledge_base=base, name="Garden hose deluxe", price=Decimal(1))

    assert "Garden hose deluxe" not in names(item_search(company=company, question="garden hose"))
    assert names(item_search(company=other, question="garden hose")) == ["Garden hose deluxe"]


def test_typos_in_every_word_fall_back_to_similar_names(company):
    assert names(item_search(company=company, question="чаник электрчиеский"))[0] == (
        "Чайник электрический"
    )
    assert names(item_search(company=company, question="lawn mowr"))[0] == "Lawn mower"


def test_a_mistyped_sku_is_found_when_nothing_else_matches(company):
    assert names(item_search(company=company, question="GRD-2000"))[0] == "Lawn mower"
