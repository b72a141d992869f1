"""Does the default assistant (no AI service) name the right item and price, and how fast?

Creates a scratch database (dropped at the end) with one business and one company whose
knowledge bases hold every fixture catalog of shared/fixtures/catalogs (real shops' rows,
imported by the product's importer) plus generated shop items (bench/kb_import.py's price
list) up to ``--items`` in all. Then, for ``--questions`` random real items whose name is
unique in the company, it asks a price, description or availability question in Russian or
English (some with a typo in a word of the name, some typed in lower case), runs
``assistant.engine.answer`` and checks the reply independently of the engine: the reply is
about that one item, its text holds the item's name, and it holds the catalog's price
(the number as a shop would write it, "1 499", "1,499" or "1499").

Measured in the same run: each answer's time and, as the baseline, the time of
``knowledge.selectors.item_search`` alone on the same question (the knowledge-base search
the engine builds on), with the ratio.

    .venv/bin/python bench/assistant_eval.py [--items 100000] [--questions 300]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kb_import import DELIMITER, HEADER, _import_file, generated_rows  # noqa: E402
from bench.tenant_provision import (  # noqa: E402
    _admin_execute,
    _percentile,
    _scratch_database_url,
)

SEED = 20266
WARMUP = 10
CATALOGS = ROOT.parent / "shared" / "fixtures" / "catalogs"

# Targets of the issue.
RIGHT_TARGET = 0.90
P95_TARGET_MS = 200

# fmt: off
TEMPLATES: dict[tuple[str, str], list[str]] = {
    ("price", "ru"): [
        "Сколько стоит {name}?", "Какая цена на {name}?", "почём {name}",
        "Подскажите, пожалуйста, цену: {name}", "{name} — сколько стоит?",
    ],
    ("price", "en"): [
        "How much is {name}?", "What's the price of {name}?", "{name} price?",
        "How much does {name} cost?", "Hi! What is the price for {name}",
    ],
    ("description", "ru"): [
        "Расскажите про {name}", "Что за товар {name}?", "Подробнее о {name}, пожалуйста",
        "Какое описание у {name}?",
    ],
    ("description", "en"): [
        "Tell me about {name}", "Can you describe {name}?", "Details on {name} please",
        "I'd like more information about {name}",
    ],
    ("availability", "ru"): [
        "Есть в наличии {name}?", "{name} есть в наличии?", "Есть ли у вас {name}?",
        "Здравствуйте, {name} в наличии?",
    ],
    ("availability", "en"): [
        "Is {name} in stock?", "Do you have {name} available?", "{name} - available?",
        "Is {name} available now?",
    ],
}
# fmt: on
KINDS = ("price", "description", "availability")
LANGUAGES = ("ru", "en")
TYPO_SHARE = 0.3
LOWER_CASE_SHARE = 0.4


@dataclass
class Question:
    item_id: int
    name: str
    price: Decimal
    price_text: str
    kind: str
    language: str
    typo: bool
    text: str


@dataclass
class Outcome:
    question: Question
    answer_ms: float
    search_ms: float
    right: bool
    named: bool
    clarified: bool
    reply_text: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in all (100000)")
    parser.add_argument("--questions", type=int, default=300, help="questions asked (300)")
    parser.add_argument("--show", type=int, default=10, help="wrong answers printed (10)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

    base_url, base_name = _scratch_database_url()
    name = f"{base_name}_assistant"
    url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin_execute(url, f'CREATE DATABASE "{name}"')
    with tempfile.TemporaryDirectory(prefix="assistant_eval_") as scratch:
        os.environ["DATABASE_URL"] = url
        os.environ["IMPORTS_ROOT"] = str(Path(scratch) / "imports")
        try:
            import django

            django.setup()
            _run(args, Path(scratch))
        finally:
            from django.db import connections

            for database in connections.all():
                if getattr(database, "pool", None) is not None:
                    database.close_pool()
            connections.close_all()
            _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')


def _run(args: argparse.Namespace, directory: Path) -> None:
    import logging

    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from knowledge.models import Item
    from knowledge.services import knowledge_base_create
    from tenants.companies.models import Company
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure

    logging.disable(logging.INFO)
    started = time.perf_counter()
    print("migrating the scratch database (public schema and template) ...", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    public_tenant_ensure()
    business = business_create(name="Assistant Bench", slug="assistant-bench")
    with tenant_context(business):
        company = company_create(
            name="Assistant Bench", kind=Company.Kind.PRODUCT, shop_type=Company.ShopType.ONLINE
        )
        catalogs = sorted(p for p in CATALOGS.iterdir() if p.suffix in {".csv", ".xlsx"})
        real_bases = []
        for path in catalogs:
            base = knowledge_base_create(company=company, name=path.stem[:120])
            job = _import_file(base, path)
            real_bases.append(base.pk)
            print(f"  {path.name}: {job.created_count} items", flush=True)
        real = Item.objects.filter(knowledge_base_id__in=real_bases).count()
        filler = max(0, args.items - real)
        if filler:
            print(f"writing and importing {filler:,} generated items ...", flush=True)
            csv_path = _filler_write(directory, filler)
            base = knowledge_base_create(company=company, name="Generated")
            job = _import_file(base, csv_path)
            print(f"  {job.created_count:,} items ({time.perf_counter() - started:.0f} s)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE knowledge_item")
        total = Item.objects.filter(knowledge_base__company=company).count()
        questions, skipped = _questions(company, real_bases, args.questions)
        print(
            f"{total:,} items; asking {len(questions)} questions about real items "
            f"({skipped} real items left out: no price, or a name shared with another item) ...",
            flush=True,
        )
        outcomes = _ask(company, questions)
    _report(outcomes, total, args.show)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


def _filler_write(directory: Path, rows: int) -> Path:
    """bench/kb_import.py's generated price list (SKU, name, description, price, category,
    unit, brand, stock) as a CSV of ``rows`` rows."""
    import csv

    path = directory / f"generated_{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=DELIMITER)
        writer.writerow(HEADER)
        writer.writerows(texts for texts, _values in generated_rows(rows))
    return path


# -- questions -----------------------------------------------------------------------------------


def _questions(company, real_bases: list[int], count: int) -> tuple[list[Question], int]:
    from django.db.models import Count
    from django.db.models.functions import Lower

    from knowledge.models import Item

    shared = set(
        Item.objects.filter(knowledge_base__company=company)
        .annotate(lowered=Lower("name"))
        .values("lowered")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("lowered", flat=True)
    )
    rows = list(
        Item.objects.filter(knowledge_base_id__in=real_bases)
        .order_by("id")
        .values_list("id", "name", "price", "price_text")
    )
    usable = [row for row in rows if row[2] is not None and row[1].lower() not in shared]
    rng = random.Random(SEED)
    if not usable:
        return [], len(rows)
    chosen = rng.sample(usable, count) if count <= len(usable) else rng.choices(usable, k=count)
    questions = []
    for number, (item_id, name, price, price_text) in enumerate(chosen):
        kind = KINDS[number % len(KINDS)]
        language = LANGUAGES[(number // len(KINDS)) % len(LANGUAGES)]
        typo = rng.random() < TYPO_SHARE
        written = _with_typo(rng, name) if typo else name
        if rng.random() < LOWER_CASE_SHARE:
            written = written.lower()
        template = rng.choice(TEMPLATES[(kind, language)])
        questions.append(
            Question(
                item_id,
                name,
                price,
                price_text,
                kind,
                language,
                typo,
                template.format(name=written),
            )
        )
    return questions, len(rows) - len(usable)


def _with_typo(rng: random.Random, name: str) -> str:
    """One typo in one word of five letters or more (not its first letter): a letter
    dropped, doubled, replaced or two swapped."""
    words = name.split(" ")
    long = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not long:
        return name
    i = rng.choice(long)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:at] + word[at + 1 :]
    elif kind == 1:
        word = word[:at] + word[at] + word[at:]
    elif kind == 2:
        alphabet = "абвгдеиклмнопрстуя" if re.search(r"[а-яё]", word.lower()) else "aeioulnrst"
        word = word[:at] + rng.choice([ch for ch in alphabet if ch != word[at]]) + word[at + 1 :]
    else:
        at = max(at, 2)
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    words[i] = word
    return " ".join(words)


# -- asking --------------------------------------------------------------------------------------


def _price_forms(price: Decimal) -> list[str]:
    """How the price may be written: grouped with a space, a no-break space, a comma or
    not at all; cents with a comma or a point, or none when zero."""
    whole, _, cents = f"{price.quantize(Decimal('0.01')):f}".partition(".")
    groups = []
    digits = whole
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    forms = []
    for separator in (" ", "\u00a0", ",", ""):
        grouped = separator.join(groups)
        if cents != "00":
            forms += [f"{grouped},{cents}", f"{grouped}.{cents}"]
        else:
            forms.append(grouped)
    return forms


def _has_price(text: str, price: Decimal, price_text: str) -> bool:
    for form in _price_forms(price):
        if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text):
            return True
    # A range or a minimum is shown as the catalog wrote it ("2200-2500").
    return bool(price_text) and price_text in text


def _ask(company, questions: list[Question]) -> list[Outcome]:
    from assistant.engine import answer
    from assistant.types import Behaviour
    from knowledge.selectors import item_search

    behaviour = Behaviour()
    for question in questions[:WARMUP]:
        answer(text=question.text, company=company, behaviour=behaviour)
        item_search(company=company, question=question.text)
    outcomes = []
    for question in questions:
        begun = time.perf_counter()
        item_search(company=company, question=question.text)
        search_ms = (time.perf_counter() - begun) * 1000
        begun = time.perf_counter()
        reply = answer(text=question.text, company=company, behaviour=behaviour)
        answer_ms = (time.perf_counter() - begun) * 1000
        ids = [item.id for item in reply.items]
        named = question.name in reply.text
        right = (
            ids == [question.item_id]
            and named
            and _has_price(reply.text, question.price, question.price_text)
        )
        outcomes.append(
            Outcome(
                question,
                answer_ms,
                search_ms,
                right,
                named,
                clarified=len(ids) > 1 and question.item_id in ids,
                reply_text=reply.text,
            )
        )
    return outcomes


# -- report --------------------------------------------------------------------------------------


def _report(outcomes: list[Outcome], total: int, show: int) -> None:
    if not outcomes:
        print("no questions: no real item with a price and a unique name")
        return
    answer_ms = [outcome.answer_ms for outcome in outcomes]
    search_ms = [outcome.search_ms for outcome in outcomes]
    right = sum(outcome.right for outcome in outcomes) / len(outcomes)
    p50, p95 = statistics.median(answer_ms), _percentile(answer_ms, 0.95)
    s50, s95 = statistics.median(search_ms), _percentile(search_ms, 0.95)
    line = "-" * 100
    print()
    print(f"{len(outcomes)} questions about real items in a knowledge base of {total:,} items")
    print(line)
    print(f"{'figure':<66}{'value':>14}  {'target':<10}result")
    print(line)

    def row(label: str, value: str, target: str = "", met: bool | None = None) -> None:
        result = "" if met is None else "PASS" if met else "MISS"
        print(f"{label:<66}{value:>14}  {target:<10}{result}".rstrip())

    def share(selected: list[Outcome]) -> str:
        if not selected:
            return "-"
        hits = sum(outcome.right for outcome in selected)
        return f"{hits / len(selected):.1%} ({hits}/{len(selected)})"

    row("Right item and right price (one item, its name and price)", f"{right:.1%}", ">= 90%",
        right >= RIGHT_TARGET)  # fmt: skip
    for kind in KINDS:
        row(f"     {kind} questions", share([o for o in outcomes if o.question.kind == kind]))
    for language in LANGUAGES:
        row(
            f"     asked in {language}",
            share([o for o in outcomes if o.question.language == language]),
        )
    row("     with a typo in the name", share([o for o in outcomes if o.question.typo]))
    row("     without a typo", share([o for o in outcomes if not o.question.typo]))
    clarified = sum(o.clarified for o in outcomes if not o.right)
    named = sum(o.named for o in outcomes if not o.right)
    row("     not right, but asked which one with the right item listed", str(clarified))
    row("     not right, but the name is in the reply", str(named))
    row("Reply time of answer(): p50", f"{p50:.1f} ms")
    row("     p95", f"{p95:.1f} ms", "< 200 ms", p95 < P95_TARGET_MS)
    row("Baseline: item_search() alone on the same question: p50", f"{s50:.1f} ms")
    row("     p95", f"{s95:.1f} ms")
    row("answer() / item_search(): p50", f"{p50 / s50:.1f}x" if s50 else "-")
    row("     p95", f"{p95 / s95:.1f}x" if s95 else "-")
    print(line)
    print(
        "Targets: at least 90% of answers name the right item with its catalog price; p95 of\n"
        "the reply time under 200 ms with no AI service."
    )
    wrong = [outcome for outcome in outcomes if not outcome.right][:show]
    if wrong:
        print(f"\nFirst {len(wrong)} answers that were not right:")
        for outcome in wrong:
            question = outcome.question
            reply = outcome.reply_text.replace("\n", " | ")[:160]
            print(f"  [{question.kind}/{question.language}] {question.text}\n      -> {reply}")


if __name__ == "__main__":
    main()
