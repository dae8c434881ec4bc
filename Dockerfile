# badge_issuer: one image, configured entirely through BADGE_* environment variables.
#   docker build -t badge-issuer .
#   docker run -p 8000:8000 -e BADGE_BASE_URL=https://badges.example.edu \
#     -e BADGE_RECIPIENT_PEPPER=… -e BADGE_KEY_PASSPHRASE=… -e BADGE_DEPLOYMENT_KEY=main \
#     -v badge-keys:/home/badges/keys -v badge-data:/home/badges/var badge-issuer
# compose.yaml runs it with PostgreSQL, two replicas and a proxy.

# -- build: the wheel (the only stage with build tools) -----------------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md ./
COPY src ./src
COPY schemas ./schemas
RUN python -m build --wheel --outdir /dist

# -- runtime: the wheel and its dependencies, nothing else ----------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /dist/*.whl /tmp/wheels/
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels \
    && useradd --create-home --uid 10001 --user-group badges \
    && mkdir -p /home/badges/keys /home/badges/var \
    && chown -R badges:badges /home/badges/keys /home/badges/var \
    && chmod 0700 /home/badges/keys
USER badges
WORKDIR /home/badges
# production: the checks refuse dev secrets, unencrypted keys and a non-https base URL at start
ENV BADGE_ENVIRONMENT=production \
    BADGE_KEYS_DIR=/home/badges/keys \
    BADGE_DATABASE_URL=sqlite:////home/badges/var/badge_issuer.sqlite3 \
    BADGE_LOG_FORMAT=json
VOLUME ["/home/badges/keys", "/home/badges/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# exec form: badge-issuer is PID 1 and gets SIGTERM itself, so `docker stop` ends it at once
ENTRYPOINT ["badge-issuer"]
CMD ["serve", "--init", "--host", "0.0.0.0", "--port", "8000"]
