# syntax=docker/dockerfile:1
# Build stage: install the locked dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV UV_PROJECT_ENVIRONMENT=/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Runtime stage: the virtualenv and the code, run by an unprivileged user.
FROM python:3.11-slim AS runtime
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    GUNICORN_BIND=0.0.0.0:8000
RUN useradd --system --uid 10001 --home /app orderly
WORKDIR /app
COPY --from=build /venv /venv
COPY --chown=orderly:orderly . .
# Owned by orderly: a named volume mounted here (the sandbox provider's books)
# starts with this ownership.
RUN mkdir -p /app/run/provider && chown -R orderly:orderly /app/run
# collectstatic needs a key to import settings; the real one comes at run time.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input -v 0
USER orderly
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn --config gunicorn.conf.py project.wsgi"]
