# The socialcare image: one image, a service per stage (see docker-compose.yml).
# Built in two steps: a C compiler builds the wheel with the compiled loops (classify/_kernels.c,
# socialcare/stream/_terms.c), and the image that runs gets the wheel without the compiler.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY socialcare socialcare
COPY ingest ingest
COPY classify classify
COPY route route
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && python -c "from classify import _kernels; from socialcare.stream import _terms" \
    && useradd --system --home /var/lib/socialcare socialcare \
    && mkdir -p /var/lib/socialcare && chown socialcare /var/lib/socialcare
USER socialcare
ENV SOCIALCARE_HOME=/var/lib/socialcare
ENTRYPOINT ["socialcare"]
