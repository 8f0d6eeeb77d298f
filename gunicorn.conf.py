"""gunicorn's settings for the web process: Procfile, the Docker image, docker-compose and the
load test (`python -m bench.load`) all start `gunicorn alignment.wsgi` with this file.

gunicorn reads it from the working directory by itself; a command-line option still wins over
it (`--bind`, `--workers`...). Measured with `python -m bench.load` (README, "Benchmarks").

Threaded workers (gthread): WEB_CONCURRENCY processes, by default one per core plus one (3 on
2 cores), each with GUNICORN_THREADS threads (1). A page is CPU work in Python with short waits
for PostgreSQL in between: a process per core keeps the cores busy (Python runs one thread of a
process at a time), the extra one covers the waits. A gthread worker keeps its clients'
connections open between requests (keep-alive) in its own loop, with any number of threads,
where a sync worker closed it after every answer and then waited, doing nothing else, for the
client to close its side: under the load test's 200 users that wait, not the CPU, capped a sync
worker's requests a second. More processes or threads serve fewer requests a second on the same
cores: they split the cores between more requests at once, which then contend for the
interpreter's lock, and each thread holds a database connection (CONN_MAX_AGE). Measured with
200 heads on 2 cores (python -m bench.load, runs taking turns): 3 processes of 1 thread served
97-131 requests a second (gunicorn's CPU 11.6-14.7 ms a request), 3 of 4 threads 80-96
(15.5-18.9 ms), 5 of 1 thread 93-97 (16.5 ms). Requests beyond them wait in the listen backlog
and are taken in turn; GUNICORN_THREADS adds threads where requests wait on something slower
than this database.
"""

import os


def _cores() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores() + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
# Seconds a client's idle connection stays open for its next request: the heads' pages send
# one about every second (an autosave, a page), so most find their connection still open.
keepalive = 5
# A request that runs longer than this is killed and its worker restarted: the XLSX and PDF
# reports are built by Celery tasks, so no page needs more.
timeout = 30
# Up to this many connections wait for a worker before the kernel refuses new ones.
backlog = 2048
# No access log by default: writing a line per request cost about half a millisecond of a
# request's CPU (python -m bench.load), and the proxy in front logs requests anyway.
# GUNICORN_ACCESS_LOG=true writes one line per request on standard output, for the platform's
# log collector.
accesslog = (
    "-" if os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in ("1", "true", "yes", "on") else None
)
