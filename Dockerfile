# fangzha server mode: docker build -t fangzha . && docker run -p 8080:8080 -v fangzha-data:/app/data --env-file .env fangzha
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY cases cases
COPY classifiers classifiers
COPY handlers handlers
COPY knowledge_base knowledge_base
COPY models models
COPY bench/__init__.py bench/tables.py bench/
COPY main.py ./
RUN pip install --no-cache-dir .
RUN useradd --create-home fangzha && mkdir -p /app/data && chown fangzha /app/data
USER fangzha
ENV FANGZHA_DB=/app/data/fangzha.db
EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"
CMD ["python", "main.py", "serve", "--host", "0.0.0.0", "--port", "8080"]
