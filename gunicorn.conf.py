"""gunicorn's settings for the web process: Procfile, the Docker image, docker-compose and the
load test (`python -m bench.load`) all start `gunicorn alignment.wsgi` with this file.

gunicorn reads it from the working directory by itself; a command-line option still wins over
it (`--bind`, `--workers`...). Measured with `python -m bench.load` (README, "Benchmarks").

Sync workers, WEB_CONCURRENCY of them, by default two per core plus one (5 on 2 cores). A page
is CPU work in Python with short waits for PostgreSQL in between, so a worker per core keeps
the cores busy; the others cover those waits, and a worker held by a slow client or a streamed
CSV. More workers serve no more requests a second on the same cores: they only split the
cores between more requests at once, and use memory. Waiting requests
queue in the listen backlog and are taken in turn, so a short request waits as long as a page
but no longer. A sync worker answers one request per connection; a proxy in front keeps the
browsers' connections open and buffers slow clients.
"""

import os


def _cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores() + 1)
worker_class = "sync"
# A request that runs longer than this is killed and its worker restarted: the XLSX and PDF
# reports are built by Celery tasks, so no page needs more.
timeout = 30
# Up to this many connections wait for a worker before the kernel refuses new ones.
backlog = 2048
# One line per request on standard output, for the platform's log collector.
accesslog = "-"
