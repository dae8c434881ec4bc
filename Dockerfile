# badge_issuer: one image, configured entirely through BADGE_* environment variables.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY schemas ./schemas
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 badges
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
USER badges
WORKDIR /home/badges
# keys/ and var/ should be volumes in production; BADGE_KEY_PASSPHRASE encrypts key files.
ENV BADGE_KEYS_DIR=/home/badges/keys \
    BADGE_DATABASE_URL=sqlite:////home/badges/var/badge_issuer.sqlite3
EXPOSE 8000
CMD ["sh", "-c", "badge-issuer init && badge-issuer serve --host 0.0.0.0 --port 8000"]
