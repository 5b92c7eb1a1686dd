# One image for every JAMP Desk service and for the `jamp` CLI.
# The service to run is the command: `python -m services.<name>` (default: companies).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first, read from pyproject.toml, so that this layer is rebuilt only when
# they change, not on every source edit. No extras: the embedded servers (dev, tests)
# are not needed next to a real Kafka and MongoDB.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY shared ./shared
COPY services ./services
COPY jamp ./jamp
# A regular (non-editable) install; the source tree is removed afterwards so that
# `python -m services.…` imports the installed package (and its package data).
RUN pip install --no-deps . \
    && cd / && rm -rf /src

# Numeric user, so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 jamp \
    && useradd --system --uid 10001 --gid jamp --home-dir /app --create-home \
        --shell /usr/sbin/nologin jamp
WORKDIR /app
USER 10001:10001

EXPOSE 8101
# Exec form: Python is PID 1 and gets SIGTERM itself; aiohttp then drains gracefully.
CMD ["python", "-m", "services.companies"]
