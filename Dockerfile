# The socialcare image: one image, a service per stage (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY socialcare socialcare
COPY ingest ingest
COPY classify classify
COPY route route
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/socialcare socialcare \
    && mkdir -p /var/lib/socialcare && chown socialcare /var/lib/socialcare
USER socialcare
ENV SOCIALCARE_HOME=/var/lib/socialcare
ENTRYPOINT ["socialcare"]
