FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 citykb
WORKDIR /srv/citykb
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seed ./seed
RUN pip install -e '.[postgres]'
USER citykb
EXPOSE 8000
CMD ["citykb", "serve", "--host", "0.0.0.0", "--port", "8000"]
