"""How many signed WAHA message webhooks does the running server take per second, stored once?

Creates a scratch database (dropped at the end) with one business, one company and one
WhatsApp channel, starts daphne on a free port against it (Redis database 12 for the cache
and the broker, flushed at the end; no Celery worker runs, so the queued turn tasks only wait
there), and posts ``-n`` signed ``message`` webhooks at ``/webhooks/waha/`` with
``--concurrency`` requests in flight: about 1,000 customers, 10% of the posts re-sending an
earlier message (the same message id under a new X-Webhook-Request-Id, as WAHA retries),
every post with a fresh X-Webhook-Timestamp. It prints accepted webhooks per second, p50 and
p99 latency, the rows stored against the distinct messages sent (duplicates stored must be
0) and, in the same run, the rate of plain single-row INSERTs into the same table
(autocommit, one connection, then ``--concurrency`` connections) with the webhook rate as a
share of it. It also shows the CPU that daphne, the load generator (this process, on the same
machine), PostgreSQL and Redis spent per webhook, and the peak of PostgreSQL sessions.

Then 500 webhooks of the same mix go in-process through Django's test client, one at a time:
milliseconds, SQL statements and SQL time per kind of answer, and where a request's time goes
(the steps of the view timed by wrapping the functions that do them). ``--queries`` prints
the SQL of one request of each kind, ``--profile`` a cProfile of the in-process requests.
``--servers`` tries more daphne processes; other settings can be tried with
DJANGO_SETTINGS_MODULE or DATABASE_POOL_SIZE, which daphne inherits.
The default run takes about three minutes on two cores.

    .venv/bin/python bench/webhook_ingest.py [-n 5000] [--concurrency 20] [--clients 2]
        [--servers 1] [--queries] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tenant_provision import (  # noqa: E402
    _admin_execute,
    _percentile,
    _scratch_database_url,
)

SEED = 20261
SESSION = "bench-ingest"
HMAC_KEY = "bench-ingest-hmac-key"
ACCOUNT = "79000000000@c.us"
CUSTOMERS = 1_000
DUPLICATE_SHARE = 0.10
WARMUP_POSTS = 40
IN_PROCESS_POSTS = 500
IN_PROCESS_CUSTOMERS = 100
REDIS_URL = "redis://localhost:6379/12"
WEBHOOK_PATH = "/webhooks/waha/"
HOST = "localhost"

# Targets of the issue.
RATE_TARGET = 300
P99_TARGET_MS = 100

# fmt: off
TEXTS = [
    "Здравствуйте! Есть в наличии?", "Сколько стоит доставка?", "Добрый день, работаете?",
    "Хочу заказать два", "Можно оплатить картой при получении?", "Спасибо!",
    "Hello, is this still available?", "What are your opening hours?", "Ок, жду",
    "А скидка будет?", "Пришлите, пожалуйста, фото", "Where do you deliver?",
]
NAMES = ["Анна", "Иван", "Мария", "Олег", "Светлана", "Дмитрий", "Kate", "John", "Алия", "Тимур"]
# fmt: on


# -- the webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One webhook to send: a customer's message, or a re-send of an earlier one."""

    message_id: str
    phone: str
    name: str
    text: str
    duplicate: bool = False


def posts_plan(
    count: int, *, customers: int, duplicate_share: float, rng: random.Random, phone_base: int
) -> list[Post]:
    """``count`` posts from ``customers`` customers; ``duplicate_share`` of them re-send a
    message posted earlier in the list (chosen at random among the earlier originals)."""
    duplicates = set(rng.sample(range(1, count), round(count * duplicate_share)))
    originals: list[Post] = []
    posts: list[Post] = []
    for position in range(count):
        if position in duplicates:
            posts.append(replace(rng.choice(originals), duplicate=True))
            continue
        customer = rng.randrange(customers)
        phone = str(phone_base + customer)
        post = Post(
            message_id=f"false_{phone}@c.us_{rng.getrandbits(128):032X}",
            phone=phone,
            name=f"{NAMES[customer % len(NAMES)]} {customer}",
            text=rng.choice(TEXTS),
        )
        originals.append(post)
        posts.append(post)
    return posts


def webhook_request(post: Post) -> tuple[bytes, dict[str, str]]:
    """The body WAHA (WEBJS engine) posts for a customer's text message, and its headers:
    signed with the session's key, a fresh timestamp and a new request id."""
    from channels_app.waha import signing

    now_ms = int(time.time() * 1000)
    chat = f"{post.phone}@c.us"
    envelope = {
        "id": f"evt_{uuid.uuid4().hex}",
        "timestamp": now_ms,
        "event": "message",
        "session": SESSION,
        "engine": "WEBJS",
        "me": {"id": ACCOUNT, "pushName": "Bench Shop"},
        "payload": {
            "id": post.message_id,
            "timestamp": now_ms // 1000,
            "from": chat,
            "fromMe": False,
            "source": "app",
            "to": ACCOUNT,
            "body": post.text,
            "hasMedia": False,
            "ack": 1,
            "vCards": [],
            "_data": {"notifyName": post.name, "type": "chat"},
        },
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    headers = {
        "Host": HOST,
        "Content-Type": "application/json",
        "X-Webhook-Request-Id": uuid.uuid4().hex,
        "X-Webhook-Timestamp": str(now_ms),
        signing.SIGNATURE_HEADER: signing.sign(body, HMAC_KEY),
        signing.ALGORITHM_HEADER: signing.ALGORITHM,
    }
    return body, headers


def answer_kind(status: int, content: bytes) -> str:
    """What the view said it did with a webhook."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    try:
        answer = json.loads(content)
    except ValueError:
        return "2xx, not JSON"
    if answer.get("queued") is True:
        return "kept in the inbox"
    if answer.get("queued") is False:
        return "kept before (same message id)"
    return f"other: {sorted(answer)}"


# -- daphne ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes_cpu_seconds(prefix: str) -> float:
    """CPU seconds of every process whose name starts with ``prefix``, with those of their
    children that exited (PostgreSQL's backends end up in the postmaster's)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        name, rest = text[text.index("(") + 1 :].rsplit(")", 1)
        if name.startswith(prefix):
            total += sum(int(value) for value in rest.split()[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait)."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log_path: Path


@contextmanager
def daphne_running(directory: Path, count: int = 1) -> Iterator[list[Server]]:
    """``count`` daphne processes serving the project on free ports with this process's
    environment, each logging to a file in ``directory``; stopped on the way out."""
    processes: list[subprocess.Popen] = []
    servers: list[Server] = []
    try:
        for number in range(count):
            port = _free_port()
            log_path = directory / f"daphne-{number}.log"
            command = [
                str(Path(sys.executable).parent / "daphne"),
                *("-b", "127.0.0.1", "-p", str(port), "config.asgi:application"),
            ]
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
                )
            processes.append(process)
            servers.append(Server(f"http://127.0.0.1:{port}", process.pid, log_path))
        for server, process in zip(servers, processes, strict=True):
            _wait_until_serving(server.base_url, process, server.log_path)
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    """Until /healthz answers at all: 503 is expected, as no Celery worker runs."""
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited:\n{log_path.read_text()[-3000:]}")
        try:
            httpx.get(f"{base_url}/healthz", headers={"Host": HOST}, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer within 60 s:\n{log_path.read_text()[-3000:]}")


# -- posting over HTTP -------------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)

    @property
    def accepted(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def refused(self) -> int:
        return sum(self.statuses.values()) - self.accepted


async def _post_all(base_urls: list[str], posts: list[Post], concurrency: int) -> Outcome:
    import httpx

    outcome = Outcome()
    pending = iter(posts)  # shared by the senders: each takes the next post when it is free
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=None))
        for base_url in base_urls
    ]
    async with AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)

        async def sender(client: httpx.AsyncClient) -> None:
            for post in pending:
                body, headers = webhook_request(post)
                started = time.perf_counter()
                try:
                    response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
                except httpx.HTTPError as error:
                    outcome.statuses[0] += 1
                    outcome.kinds[f"transport error: {type(error).__name__}"] += 1
                    continue
                outcome.latencies_ms.append((time.perf_counter() - started) * 1000)
                outcome.statuses[response.status_code] += 1
                outcome.kinds[answer_kind(response.status_code, response.content)] += 1

        started = time.perf_counter()
        # Sender n keeps to server n modulo the servers, like a proxy's round robin.
        await asyncio.gather(*(sender(clients[n % len(clients)]) for n in range(concurrency)))
        outcome.seconds = time.perf_counter() - started
    return outcome


@dataclass(frozen=True)
class CpuShare:
    """Share of one core used during the timed run (2 cores = 200%)."""

    server: float
    load_generator: float
    database: float
    redis: float
    machine: float


def _post_share(base_urls: list[str], posts: list[Post], concurrency: int) -> tuple[Outcome, float]:
    """One client process's share of the posts; also its own CPU seconds."""
    outcome = asyncio.run(_post_all(base_urls, posts, concurrency))
    return outcome, _cpu_seconds()


def _post_in_processes(
    base_urls: list[str], posts: list[Post], concurrency: int, clients: int
) -> tuple[Outcome, float]:
    """The posts split over ``clients`` processes (the in-flight total stays ``concurrency``),
    so the load generator's own CPU does not stretch the latencies it measures."""
    import multiprocessing

    shares = [posts[n::clients] for n in range(clients)]
    flights = [concurrency // clients + (n < concurrency % clients) for n in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.starmap(
            _post_share,
            [(base_urls, share, flight) for share, flight in zip(shares, flights, strict=True)],
        )
    merged = Outcome()
    for outcome, _cpu in results:
        merged.latencies_ms += outcome.latencies_ms
        merged.statuses.update(outcome.statuses)
        merged.kinds.update(outcome.kinds)
        merged.seconds = max(merged.seconds, outcome.seconds)
    return merged, sum(cpu for _outcome, cpu in results)


def post_over_http(
    servers: list[Server], posts: list[Post], concurrency: int, clients: int = 1
) -> tuple[Outcome, CpuShare]:
    def server_seconds() -> float:
        return sum(_cpu_seconds(server.pid) for server in servers)

    def readings() -> tuple[float, ...]:
        return (
            server_seconds(),
            _cpu_seconds(),
            _processes_cpu_seconds("postgres"),
            _processes_cpu_seconds("redis-server"),
            _machine_busy_seconds(),
        )

    base_urls = [server.base_url for server in servers]
    before = readings()
    if clients > 1:
        outcome, client_cpu = _post_in_processes(base_urls, posts, concurrency, clients)
        before = (*before[:1], 0.0, *before[2:])
    else:
        outcome = asyncio.run(_post_all(base_urls, posts, concurrency))
    after = readings()
    if clients > 1:
        after = (*after[:1], client_cpu, *after[2:])
    server, client, database, redis, machine = (
        (end - start) / outcome.seconds for start, end in zip(before, after, strict=True)
    )
    return outcome, CpuShare(server, client, database, redis, machine)


def _log_problems(log_paths: list[Path]) -> Counter:
    """WARNING and ERROR records of the JSON logs, by message and the exception's last line."""
    problems: Counter = Counter()
    lines = [line for path in log_paths for line in path.read_text(errors="replace").splitlines()]
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # daphne's own lines
        if not isinstance(record, dict) or record.get("level") not in ("WARNING", "ERROR"):
            continue
        cause = (record.get("exc") or "").strip().splitlines()[-1:] or [""]
        problems[f"{record['level']} {record.get('message', '')[:80]} {cause[0][:160]}"] += 1
    return problems


class SessionSampler(threading.Thread):
    """The highest number of PostgreSQL sessions on ``database``, sampled every 0.2 s."""

    def __init__(self, url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.url, self.database = url, database
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psycopg

        admin_url = urlunparse(urlparse(self.url)._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as admin:
            while not self._stop_event.wait(0.2):
                (count,) = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]
                ).fetchone()
                self.peak = max(self.peak, count)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


# -- the baseline: plain INSERTs into the same table -------------------------------------------


def _insert_statement(channel) -> tuple[str, list[object], int]:
    """A single-row INSERT of every column Django writes for a customer's message, its values
    and the position of ``provider_id`` among them (one conversation for every row)."""
    from django.db import connection

    from conversations.models import Contact, Conversation, Message

    contact = Contact.objects.create(
        channel=channel, phone="79999999999", chat_id="79999999999@c.us", name="INSERT baseline"
    )
    conversation = Conversation.objects.create(contact=contact, channel=channel)
    template = Message(
        conversation=conversation,
        channel=channel,
        direction=Message.Direction.IN,
        kind=Message.Kind.TEXT,
        status=Message.Status.RECEIVED,
        text=TEXTS[0],
        provider_id="",
    )
    fields = [column for column in Message._meta.concrete_fields if not column.primary_key]
    values = []
    for column in fields:
        value = column.get_db_prep_save(column.pre_save(template, add=True), connection)
        values.append(str(value) if isinstance(value, str) else value)
    table = f'"{connection.schema_name}"."{Message._meta.db_table}"'
    names = ", ".join(f'"{column.column}"' for column in fields)
    marks = ", ".join(["%s"] * len(fields))
    position = fields.index(Message._meta.get_field("provider_id"))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})", values, position


def _insert_rows(url: str, sql: str, values: list[object], position: int, ids: list[str]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as database, database.cursor() as cursor:
        row = list(values)
        for provider_id in ids:
            row[position] = provider_id
            cursor.execute(sql, row)


def insert_rates(url: str, channel, rows: int, concurrency: int) -> tuple[float, float]:
    """Rows per second of single-row autocommit INSERTs: one connection, then ``concurrency``
    connections in threads (each inserting its share)."""
    sql, values, position = _insert_statement(channel)
    ids = [f"insert-baseline-{number}" for number in range(rows)]
    started = time.perf_counter()
    _insert_rows(url, sql, values, position, ids)
    single = rows / (time.perf_counter() - started)

    ids = [f"insert-baseline-threads-{number}" for number in range(rows)]
    threads = [
        threading.Thread(
            target=_insert_rows, args=(url, sql, values, position, ids[n::concurrency])
        )
        for n in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return single, rows / (time.perf_counter() - started)


# -- in-process, through Django's test client --------------------------------------------------


#: Steps of a webhook's way through the server, timed in-process by wrapping the function that
#: does each (module, attribute, label); a step inside another is listed under it.
PHASES = [
    ("django_tenants.middleware.main", "TenantMainMiddleware.process_request",
     "tenant routing (the host's domain looked up)"),
    ("channels_app.webhooks", "parse_event", "envelope parsed"),
    ("connections.crypto", "decrypt", "connection's secrets decrypted (Fernet)"),
    ("channels_app.waha.signing", "verify", "signature checked (HMAC-SHA512)"),
    ("channels_app.webhooks", "_routing", "route and key (cached per session)"),
    ("channels_app.webhooks", "inbox_store", "kept in the inbox (one INSERT)"),
    ("channels_app.webhooks", "inbox_kick", "drain queued (at most every 0.5 s)"),
]  # fmt: skip


@contextmanager
def phases_timed(totals: Counter) -> Iterator[None]:
    """Add the seconds spent in each of :data:`PHASES` to ``totals`` while inside."""
    import functools
    import importlib

    patched = []
    for module_name, attribute, label in PHASES:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = owner.__dict__[name]

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                totals[_label] += time.perf_counter() - started

        setattr(owner, name, functools.wraps(original)(timed))
        patched.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


@dataclass
class InProcess:
    """Per kind of answer: milliseconds, SQL statements and milliseconds of SQL of each
    request (``SET search_path``, BEGIN and COMMIT included); and
    the seconds spent in each step of :data:`PHASES` over all of them."""

    by_kind: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)
    phases: Counter = field(default_factory=Counter)
    #: The SQL of the first request of each kind, with a new customer told apart.
    sample_sql: dict[str, list[str]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(len(samples) for samples in self.by_kind.values())

    @property
    def seconds(self) -> float:
        return sum(sample[0] for samples in self.by_kind.values() for sample in samples) / 1000


def post_in_process(posts: list[Post], *, profile: bool) -> InProcess:
    """The webhooks through Django's test client, one at a time in this process: the view and
    middleware without HTTP, daphne or concurrency. With ``profile``, the same posts again
    (under new message ids) in cProfile, whose tops are printed."""
    import cProfile
    import pstats

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    result = InProcess()
    customers: set[str] = set()
    sql_seconds = [0.0]

    def sql_timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[0] += time.perf_counter() - started

    with phases_timed(result.phases), connection.execute_wrapper(sql_timed):
        for post in posts:
            body, headers = webhook_request(post)
            reset_queries()
            sql_seconds[0] = 0.0
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post(
                    WEBHOOK_PATH, data=body, content_type="application/json", headers=headers
                )
                elapsed = (time.perf_counter() - started) * 1000
            kind = answer_kind(response.status_code, response.content)
            statements = [query["sql"] for query in queries.captured_queries]
            sample = (elapsed, len(statements), sql_seconds[0] * 1000)
            result.by_kind.setdefault(kind, []).append(sample)
            customer = "known" if post.phone in customers else "new"
            result.sample_sql.setdefault(f"{kind}, {customer} customer", statements)
            customers.add(post.phone)
    if profile:
        profiler = cProfile.Profile()
        for post in posts:
            body, headers = webhook_request(replace(post, message_id=f"{post.message_id}P"))
            profiler.runcall(
                client.post,
                WEBHOOK_PATH,
                data=body,
                content_type="application/json",
                headers=headers,
            )
        for order, lines in (("tottime", 25), ("cumulative", 45)):
            print(f"\n--- cProfile of {len(posts)} in-process webhooks, top {lines} by {order} ---")
            pstats.Stats(profiler).sort_stats(order).print_stats(lines)
    return result


# -- the run -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5_000, help="webhooks to post (default 5000)")
    parser.add_argument(
        "--concurrency", type=int, default=20, help="requests in flight (default 20)"
    )
    parser.add_argument(
        "--redis-url", default=REDIS_URL, help=f"cache and broker, flushed at the end ({REDIS_URL})"
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="daphne processes, posted to in turn (default 1)"
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=2,
        help=(
            "load-generator processes sharing the in-flight requests (default 2: one Python "
            "process cannot keep 20 requests in flight and time them fairly)"
        ),
    )
    parser.add_argument(
        "--queries", action="store_true", help="print the SQL of one in-process webhook per kind"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the in-process webhooks"
    )
    args = parser.parse_args()
    if urlparse(args.redis_url).path.strip("/") in ("", "0"):
        parser.error("--redis-url must name a Redis database other than 0: it is flushed")

    base_url, base_name = _scratch_database_url()
    name = f"{base_name}_webhook"
    url = urlunparse(urlparse(base_url)._replace(path=f"/{name}"))
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(url, f'CREATE DATABASE "{name}"')
    # daphne inherits this environment: the scratch database, the public host, a Redis
    # database of its own.
    os.environ["DATABASE_URL"] = url
    os.environ["SITE_DOMAIN"] = HOST
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["CELERY_BROKER_URL"] = args.redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    try:
        import django

        django.setup()
        with tempfile.TemporaryDirectory(prefix="webhook_ingest_") as scratch:
            _run(args, url, name, Path(scratch))
    finally:
        import redis
        from django.db import connections

        connections.close_all()
        _admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(args.redis_url).flushdb()


@dataclass
class Figures:
    posts: int
    concurrency: int
    servers: int
    outcome: Outcome
    warmup_refused: int
    cpu: CpuShare
    distinct_sent: int
    duplicates_sent: int
    rows: int
    distinct_stored: int
    database_sessions: int
    log_problems: Counter
    insert_single: float
    insert_concurrent: float
    in_process: InProcess


def _run(args: argparse.Namespace, url: str, database: str, directory: Path) -> None:
    import logging

    from django.core.management import call_command
    from django.db.models import Count
    from django_tenants.utils import tenant_context

    from channels_app.models import Channel
    from connections.models import Connection
    from conversations.models import Message
    from tenants.companies.models import Company
    from tenants.companies.services import company_create
    from tenants.services import business_create, public_tenant_ensure

    logging.disable(logging.INFO)
    started = time.perf_counter()
    print("migrating the scratch database (public schema and template) ...", flush=True)
    call_command("migrate", "--noinput", verbosity=0)
    public_tenant_ensure()
    business = business_create(name="Bench Shop", slug="bench-shop")
    connection = Connection(
        business=business,
        platform=Connection.Platform.WHATSAPP,
        external_id=SESSION,
        status=Connection.Status.CONNECTED,
        provider_status="WORKING",
        account_id=ACCOUNT,
        account_name="Bench Shop",
    )
    connection.secrets_set({"hmac_key": HMAC_KEY})
    connection.save()
    with tenant_context(business):
        company = company_create(
            name="Bench Shop", kind=Company.Kind.PRODUCT, shop_type=Company.ShopType.ONLINE
        )
        channel = Channel.objects.create(
            company=company, connection=connection, platform=Connection.Platform.WHATSAPP
        )

    rng = random.Random(SEED)
    warmup = posts_plan(
        WARMUP_POSTS, customers=WARMUP_POSTS, duplicate_share=0, rng=rng, phone_base=79_100_000_000
    )
    posts = posts_plan(
        args.n, customers=CUSTOMERS, duplicate_share=DUPLICATE_SHARE, rng=rng,
        phone_base=79_200_000_000,
    )  # fmt: skip
    print(f"starting daphne (database {database}, Redis {args.redis_url}) ...", flush=True)
    with daphne_running(directory, args.servers) as servers:
        addresses = ", ".join(server.base_url for server in servers)
        print(f"warming up with {WARMUP_POSTS} webhooks at {addresses} ...", flush=True)
        warmup_outcome, _cpu = post_over_http(servers, warmup, args.concurrency)
        print(f"posting {args.n:,} webhooks, {args.concurrency} in flight ...", flush=True)
        sampler = SessionSampler(url, database)
        sampler.start()
        try:
            outcome, cpu = post_over_http(servers, posts, args.concurrency, args.clients)
        finally:
            sessions = sampler.stop()
    log_problems = _log_problems([server.log_path for server in servers])
    from channels_app.inbox import inbox_drain

    print("applying the inbox as the worker does ...", flush=True)
    drain_started = time.perf_counter()
    applied = inbox_drain()
    drain_seconds = time.perf_counter() - drain_started
    with tenant_context(business):
        counted = Message.objects.aggregate(
            rows=Count("id"), distinct=Count("provider_id", distinct=True)
        )
        print(f"single-row INSERTs, 1 and {args.concurrency} connections ...", flush=True)
        insert_single, insert_concurrent = insert_rates(url, channel, args.n, args.concurrency)
        in_process_posts = posts_plan(
            IN_PROCESS_POSTS, customers=IN_PROCESS_CUSTOMERS, duplicate_share=DUPLICATE_SHARE,
            rng=rng, phone_base=79_300_000_000,
        )  # fmt: skip
    print(f"{IN_PROCESS_POSTS} webhooks in-process through the test client ...", flush=True)
    in_process = post_in_process(in_process_posts, profile=args.profile)
    if args.queries:
        for sample, statements in in_process.sample_sql.items():
            print(f"\n--- SQL of one in-process webhook: {sample} ({len(statements)}) ---")
            for statement in statements:
                print(f"  {statement[:300]}")

    figures = Figures(
        posts=args.n,
        concurrency=args.concurrency,
        servers=args.servers,
        outcome=outcome,
        warmup_refused=warmup_outcome.refused,
        cpu=cpu,
        distinct_sent=len({post.message_id for post in [*warmup, *posts]}),
        duplicates_sent=sum(post.duplicate for post in posts),
        rows=counted["rows"],
        distinct_stored=counted["distinct"],
        database_sessions=sessions,
        log_problems=log_problems,
        insert_single=insert_single,
        insert_concurrent=insert_concurrent,
        in_process=in_process,
    )
    _report(figures)
    print(
        f"Inbox applied by one worker process: {applied:,} events in {drain_seconds:.1f} s "
        f"({applied / drain_seconds:,.0f}/s): contacts, conversations, messages, turns"
    )
    if log_problems:
        print("\nWARNING and ERROR records in daphne's log, most frequent first:")
        for problem, count in log_problems.most_common(8):
            print(f"  {count:>6,} x {problem}")
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


def _report(figures: Figures) -> None:
    outcome = figures.outcome
    rate = outcome.accepted / outcome.seconds
    latencies = outcome.latencies_ms
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    duplicates_stored = figures.rows - figures.distinct_stored
    missing = figures.distinct_sent - figures.distinct_stored
    line = "-" * 100
    servers = (
        "one daphne process" if figures.servers == 1 else f"{figures.servers} daphne processes"
    )
    print()
    print(
        f"{figures.posts:,} signed message webhooks ({figures.duplicates_sent:,} re-sends of an "
        f"earlier message), {figures.concurrency} in flight, over HTTP to {servers}"
    )
    print(line)
    print(f"{'figure':<66}{'value':>14}  {'target':<10}result")
    print(line)

    def row(label: str, value: str, target: str = "", met: bool | None = None) -> None:
        result = "" if met is None else "PASS" if met else "MISS"
        print(f"{label:<66}{value:>14}  {target:<10}{result}".rstrip())

    row("Webhooks accepted (2xx) per second", f"{rate:,.0f}/s", f">= {RATE_TARGET}/s",
        rate >= RATE_TARGET)  # fmt: skip
    row("     wall time", f"{outcome.seconds:.1f} s")
    row("     latency p50", f"{p50:.1f} ms")
    row("     latency p99", f"{p99:.1f} ms", f"< {P99_TARGET_MS} ms", p99 < P99_TARGET_MS)
    row("     latency max", f"{max(latencies):.1f} ms")
    for kind, count in sorted(outcome.kinds.items()):
        row(f"     answers: {kind}", f"{count:,}")
    row("     refused or failed (non-2xx, transport errors)", f"{outcome.refused:,}",
        "0", outcome.refused == 0)  # fmt: skip
    row(f"     refused or failed among the {WARMUP_POSTS} warm-up posts (untimed)",
        f"{figures.warmup_refused:,}")  # fmt: skip
    row("Messages stored / distinct messages sent (incl. warm-up)",
        f"{figures.rows:,} / {figures.distinct_sent:,}")  # fmt: skip
    row("     duplicates stored", f"{duplicates_stored:,}", "0", duplicates_stored == 0)
    row("     messages not stored (their posts failed; WAHA would retry)", f"{missing:,}",
        "0", missing == 0)  # fmt: skip
    row("     WARNING/ERROR records in daphne's log", f"{figures.log_problems.total():,}")
    row("     PostgreSQL sessions on the scratch database, peak",
        f"{figures.database_sessions}")  # fmt: skip
    cpu = figures.cpu
    row("CPU during the run: % of one core (2 cores = 200%), ms per webhook", "")

    def cpu_row(label: str, share: float) -> None:
        row(f"     {label}", f"{share:.0%} {share * 1000 / rate:>5.1f} ms")

    cpu_row("daphne", cpu.server)
    cpu_row("load generator (httpx, this process)", cpu.load_generator)
    cpu_row("PostgreSQL (backends, and those that ended)", cpu.database)
    cpu_row("Redis", cpu.redis)
    rest = cpu.machine - cpu.server - cpu.load_generator - cpu.database - cpu.redis
    cpu_row("everything else on the machine", max(0.0, rest))
    row("Single-row INSERTs into conversations_message, 1 connection",
        f"{figures.insert_single:,.0f}/s")  # fmt: skip
    row(f"     {figures.concurrency} connections (threads)", f"{figures.insert_concurrent:,.0f}/s")
    row("     webhooks / INSERTs (1 connection)", f"{rate / figures.insert_single:.1%}")
    row(f"     webhooks / INSERTs ({figures.concurrency} connections)",
        f"{rate / figures.insert_concurrent:.1%}")  # fmt: skip
    row("In-process through the test client, no HTTP, one at a time", "")
    row("  (median ms, mean SQL statements, mean ms in SQL per request):", "")
    for kind, samples in sorted(figures.in_process.by_kind.items()):
        times = [sample[0] for sample in samples]
        queries = statistics.mean(sample[1] for sample in samples)
        sql = statistics.mean(sample[2] for sample in samples)
        row(f"     {kind} ({len(samples)})",
            f"{statistics.median(times):.1f} {queries:>3.0f} {sql:>5.1f}")  # fmt: skip
    in_process = figures.in_process
    per_request = in_process.seconds * 1000 / in_process.requests
    row("     all: mean ms per request; serial ceiling of one process",
        f"{per_request:.1f} {1000 / per_request:>5,.0f}/s")  # fmt: skip
    row("     where a request's time goes (mean ms per request, % of it):", "")
    top_level = 0.0
    for _module, _attribute, label in PHASES:
        spent = in_process.phases[label] * 1000 / in_process.requests
        if not label.startswith(" "):
            top_level += spent
        row(f"       {label}", f"{spent:.2f} {spent / per_request:>4.0%}")
    rest = per_request - top_level
    row("       the rest (middleware, connection lookup, test client)",
        f"{rest:.2f} {rest / per_request:>4.0%}")  # fmt: skip
    print(line)
    print(
        f"Targets: at least {RATE_TARGET} webhooks accepted per second on this 2-core machine\n"
        f"with p99 under {P99_TARGET_MS} ms; each message stored once (none twice, none lost)."
    )


if __name__ == "__main__":
    main()
