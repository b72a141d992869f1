#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost, and that the project's database exists.
# Reuses servers already running; otherwise installs the Debian packages and starts them
# without systemd. With --browser, also makes sure Debian's Chromium is installed (tests).
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://x8:x8@localhost:5432/x8}"
read -r DB_USER DB_PASS DB_HOST DB_PORT DB_NAME < <(python3 - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print(u.username or "x8", u.password or "x8", u.hostname or "localhost", u.port or 5432,
      (u.path or "/x8").lstrip("/") or "x8")
PY
)
REDIS_PORT="${REDIS_PORT:-6379}"

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null; then sudo "$@";
  else die "need root (or sudo) to run: $*"; fi
}

apt_install() {
  command -v apt-get >/dev/null || die "PostgreSQL/Redis missing and this is not a Debian-like system: install $* yourself."
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open "$DB_PORT" "$DB_HOST"; then say "PostgreSQL is running on $DB_HOST:$DB_PORT"; return; fi
  [ "$DB_HOST" = localhost ] || [ "$DB_HOST" = 127.0.0.1 ] || \
    die "PostgreSQL at $DB_HOST:$DB_PORT does not answer (DATABASE_URL); start it there."
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main >/dev/null
  fi
  say "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do port_open "$DB_PORT" && break; sleep 0.5; done
  port_open "$DB_PORT" || die "PostgreSQL did not start; see /var/log/postgresql/"
}

# Run SQL as a PostgreSQL superuser: over TCP when trust auth allows it, else as the
# postgres system user over the local socket (Debian's default peer auth).
psql_admin() {
  if psql -X -q -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    psql -X -q -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA "$@"
  elif [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    runuser -u postgres -- psql -X -q -p "$DB_PORT" -d postgres -v ON_ERROR_STOP=1 -tA "$@"
  else
    sudo -u postgres psql -X -q -p "$DB_PORT" -d postgres -v ON_ERROR_STOP=1 -tA "$@"
  fi
}

ensure_database() {
  command -v psql >/dev/null || apt_install postgresql-client
  if PGPASSWORD="$DB_PASS" psql -X -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null 2>&1; then
    say "database $DB_NAME is reachable as $DB_USER"; return
  fi
  say "creating role $DB_USER and database $DB_NAME"
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" ]; then
    psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASS'"
  fi
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
  fi
  PGPASSWORD="$DB_PASS" psql -X -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null \
    || die "cannot connect to $DB_NAME as $DB_USER; check pg_hba.conf and DATABASE_URL"
}

ensure_redis() {
  if port_open "$REDIS_PORT"; then say "Redis is running on port $REDIS_PORT"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no >/dev/null
  for _ in $(seq 1 20); do port_open "$REDIS_PORT" && break; sleep 0.25; done
  port_open "$REDIS_PORT" || die "Redis did not start on port $REDIS_PORT"
}

ensure_browser() {
  if command -v chromium >/dev/null; then say "Chromium: $(command -v chromium)"; return; fi
  apt_install chromium
}

ensure_postgres
ensure_database
ensure_redis
if [ "${1:-}" = "--browser" ]; then ensure_browser; fi
