# One image for every process (web, worker, beat); the command picks the process.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod PATH="/app/.venv/bin:$PATH"
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN python -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings to load; the real secret comes from the environment at run time.
RUN DJANGO_SECRET_KEY=build-only-key-build-only-key-build-only-key-build-only \
    python manage.py collectstatic --noinput -v 0

RUN useradd --system --uid 1000 x8 && mkdir -p /app/media && chown x8 /app/media
USER x8
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
