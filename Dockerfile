# Production image of the privacy portal. One image, three roles (see docker-compose.yml):
#   web     gunicorn privacyportal.wsgi (the default command)
#   worker  celery -A privacyportal worker
#   beat    celery -A privacyportal beat
# Configuration comes from environment variables at run time (.env.example lists them).
FROM python:3.11-slim

ARG UV_VERSION=0.13.9
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PORTAL_VAR_DIR=/app/var \
    DJANGO_DEBUG=false

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --system --create-home --uid 10001 portal

WORKDIR /app

# The locked dependencies first (no dev group), so this layer is rebuilt only when they change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Static files are collected into the image (hashed names, compressed) and served by WhiteNoise.
# The secret and document keys here are throwaways for this build step only; the container needs
# its own (PORTAL_DOCUMENT_KEYS encrypts the consumers' documents: see .env.example).
RUN DJANGO_SECRET_KEY=collectstatic-only-not-used-at-run-time \
        PORTAL_DOCUMENT_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/media \
    && chown -R portal:portal /app/var

USER portal
EXPOSE 8000

# WEB_CONCURRENCY sets the number of gunicorn workers (gunicorn reads it itself).
CMD ["gunicorn", "privacyportal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
