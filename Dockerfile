# The web, worker and beat image (one image, three commands: see docker-compose.yml).
FROM python:3.11-slim-bookworm

# WeasyPrint renders PDF reports with Pango; fonts for the PDF's text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/var/lib/alignment
WORKDIR /app
COPY pyproject.toml README.md ./
COPY alignment alignment
COPY strategy strategy
COPY reviews reviews
COPY notifications notifications
COPY reports reports
COPY sustain sustain
RUN pip install -e .
COPY . .
# collectstatic needs settings, not a database: a throwaway key is enough at build time.
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input

RUN useradd --system --home /app alignment && mkdir -p /var/lib/alignment \
    && chown alignment /var/lib/alignment
USER alignment
EXPOSE 8000
# gunicorn.conf.py: port 8000 (PORT), WEB_CONCURRENCY threaded workers (else one per core plus
# one) of GUNICORN_THREADS threads (else 1).
CMD ["gunicorn", "alignment.wsgi"]
