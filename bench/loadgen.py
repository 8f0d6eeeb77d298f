"""The users of `python -m bench.load`, on asyncio and raw sockets, in a process of their own.

    python -m bench.loadgen PLAN.json RESULT.json

bench.load writes PLAN: the server's address, the cookie names, the run's length, the heads
(session key, check, unit) and a few executives (session key). A head opens its check once, for
the CSRF cookie and the form as a browser has them (counted as "check, opened": these come in
the ramp, 100 heads a second, before any other request), then mixes page reads with htmx autosaves
of its whole check (random scores 1-5) until the time is up, sending each save with the
version the previous save returned. An executive reads the open review's cycle page (which
heads may not open) and the trivial view. RESULT holds the raw latencies by kind of request, the
failed requests, what each head last saw saved (for bench.load to compare with the database)
and the CPU seconds this process used.

The generator shares the machine with the server, so it must cost little: one event loop, one
HTTP/1.1 connection per user (kept open when the server allows it), and only the standard
library. A latency is from the first byte sent (or the connect, on a new connection) to the
last byte of the answer.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from bench.checkform import SCORE_FIELD, VERSION, check_fields

HOME, CHECK, FIRST_OPEN, STRATEGY, UNIT, SAVE, CYCLE, TRIVIAL = (
    "home",
    "check page",
    # A head's first request: in the ramp, when 100 heads a second open their checks at once
    # and no other kind of request is sent yet (reported, not compared with the trivial view).
    "check, opened",
    "strategy page",
    "unit page",
    "score save",
    "cycle page",
    "trivial view",
)
KINDS = [SAVE, CHECK, FIRST_OPEN, HOME, STRATEGY, UNIT, CYCLE, TRIVIAL]
SAMPLES = 20  # failures kept with their details, per kind and outcome
TIMEOUT = 60.0  # seconds for a whole request, connect included
SPAWN_RATE = 100  # users started a second, as a ramp rather than all in the same instant
MAX_HEADER_BYTES = 64 * 1024

latencies: dict[str, list[float]] = defaultdict(list)
outcomes: dict[str, Counter] = defaultdict(Counter)
samples: dict[str, list[str]] = defaultdict(list)
saved: dict[str, dict] = {}  # username -> what the head last saw saved, see Head.__init__
users_started: set[str] = set()  # the users who made their first request


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ConnectionLost(Exception):
    """The server closed a kept-alive connection before answering: nothing was processed."""


class Client:
    """One HTTP/1.1 connection to the server, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b""):
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, headers, body)
        except ConnectionLost:
            # A kept-alive connection the server closed as the request went out: as browsers
            # do, send it once more on a new connection (the server never read the first).
            if not reused:
                raise
            return await self._exchange(method, path, headers, body)

    async def _exchange(self, method, path, headers, body) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, limit=MAX_HEADER_BYTES
            )
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        try:
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as error:
            self.close()
            if isinstance(error, asyncio.IncompleteReadError) and error.partial:
                raise  # part of an answer: the request did reach the server
            raise ConnectionLost from error
        lines = raw.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        response_headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                response_headers.append((name.strip().lower(), value.strip()))
        response = Response(int(status), response_headers, b"")
        length = response.header("content-length")
        if response.header("transfer-encoding") == "chunked":
            response.body = await self._chunked()
        elif length is not None:
            response.body = await self.reader.readexactly(int(length))
        elif response.status not in (204, 304):
            response.body = await self.reader.read()  # until the server closes
        if (
            version != "HTTP/1.1"
            or (response.header("connection") or "").lower() == "close"
            or (length is None and response.header("transfer-encoding") != "chunked")
        ):
            self.close()
        return response

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from gunicorn
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class User:
    """One signed-in person: their connection, cookies and pace."""

    TASKS: list[tuple[str, int]] = []  # (task, weight): how often each, relative to the others

    def __init__(self, person: dict, plan: dict) -> None:
        self.person = person
        self.base_url = plan["base_url"]
        parts = urlsplit(self.base_url)
        self.client = Client(parts.hostname, parts.port)
        self.think = plan["think"]
        self.rng = random.Random(person["username"])
        # The cookies are kept here, not in a cookie jar: without DEBUG they are Secure (and
        # __Host-), which a jar rightly never sends over plain HTTP.
        self.cookies = {plan["session_cookie"]: person["session_key"]}
        self.tasks = [getattr(self, name) for name, _ in self.TASKS]
        self.weights = [weight for _, weight in self.TASKS]

    async def run(self, stopping: asyncio.Event) -> None:
        """A task and a pause at a time until `stopping` is set.

        A request under way when it is set is finished (so that a save the server committed is
        not forgotten), a pause is cut short.
        """
        users_started.add(self.person["username"])
        await self.start()
        while not stopping.is_set():
            pause = self.rng.uniform(self.think * 0.5, self.think * 1.5)
            try:
                await asyncio.wait_for(stopping.wait(), pause)
                break
            except TimeoutError:
                pass
            await self.rng.choices(self.tasks, self.weights)[0]()
        self.client.close()

    async def start(self) -> None:
        """What the user does first, before the mix of tasks."""

    async def trivial(self) -> None:
        await self._request(TRIVIAL, "GET", "/bench/trivial/")

    async def _request(self, kind: str, method: str, path: str, *, headers=None, body=b""):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Cookie": cookie, **(headers or {})}
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self.client.request(method, path, headers, body), TIMEOUT
            )
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ConnectionLost) as error:
            self.client.close()
            latencies[kind].append((time.perf_counter() - started) * 1000)
            outcomes[kind]["connection"] += 1
            self._sample(kind, "connection", f"{method} {path}: connection ({error!r})")
            return None, 0
        latencies[kind].append((time.perf_counter() - started) * 1000)
        for name, value in response.headers:
            if name == "set-cookie":
                for cookie_name, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(cookie_name, None)  # deleted, e.g. by a logout
                    else:
                        self.cookies[cookie_name] = morsel.value
        status = response.status
        outcome = "ok" if status == 200 else str(status)
        outcomes[kind][outcome] += 1
        if outcome != "ok":
            where = f" to {response.header('location')}" if 300 <= status < 400 else ""
            self._sample(kind, outcome, f"{method} {path}: {outcome}{where}")
        return response, status

    def _sample(self, kind: str, outcome: str, text: str) -> None:
        key = f"{kind}: {outcome}"
        if len(samples[key]) < SAMPLES:
            samples[key].append(f"{self.person['username']} {text}")

    def _fail(self, kind: str, outcome: str, text: str) -> None:
        """Count a 200 whose content is wrong as a failure of its own kind."""
        outcomes[kind]["ok"] -= 1
        outcomes[kind][outcome] += 1
        self._sample(kind, outcome, text)


class Head(User):
    """A department head on their own team's check."""

    # (task, weight): as often as a head does each, relative to the others.
    TASKS: list[tuple[str, int]] = [
        ("save", 3),
        ("check_page", 2),
        ("home", 1),
        ("strategy", 1),
        ("unit_page", 1),
        ("trivial", 2),
    ]

    def __init__(self, head: dict, plan: dict) -> None:
        super().__init__(head, plan)
        self.strategy_path = plan["strategy_path"]
        self.check_url = f"/reviews/checks/{head['check_id']}/"
        self.fields: dict[str, str] | None = None
        self.version: int | None = None
        self.saves = 0
        self.record: dict = {}

    async def start(self) -> None:
        """Open the check: the form as the browser has it, and the version it was read at."""
        # `confirmed`: the values of the last save the server confirmed (at first, the ones the
        # form showed); `unknown`: saves sent after it whose outcome is unknown (no answer, or
        # a 5xx), so any of these may be in the database.
        self.record = saved[self.person["username"]] = {
            "check_id": self.person["check_id"],
            "confirmed": None,
            "unknown": [],
            "saves": 0,
        }
        await self._open_check()

    async def _open_check(self) -> None:
        kind = FIRST_OPEN if self.record["confirmed"] is None else CHECK
        response, status = await self._request(kind, "GET", self.check_url)
        if status != 200:
            return
        fields = check_fields(response.text)
        if not fields:
            self._fail(kind, "no editable form", f"GET {self.check_url}: no check form")
            return
        self.fields = fields
        self.version = int(fields["version"])
        if self.record["confirmed"] is None:
            # What the database holds before this head's first save.
            self.record["confirmed"] = self._values(fields)

    @staticmethod
    def _values(fields: dict[str, str]) -> dict[str, dict]:
        """Scores and evidence by item, as bench.load reads them from the database."""
        values: dict[str, dict] = {}
        for name, value in fields.items():
            match = SCORE_FIELD.match(name)
            if match:
                item, lever = match.groups()
                row = values.setdefault(item, {"evidence": fields[f"item-{item}-evidence"]})
                row[lever] = int(value) if value else None
        return values

    async def save(self) -> None:
        if self.fields is None:
            await self._open_check()
            return
        self.saves += 1
        evidence = f"{self.person['username']}, save {self.saves}"
        data = dict(self.fields, version=str(self.version))
        for name in self.fields:
            match = SCORE_FIELD.match(name)
            if match:
                data[name] = str(self.rng.randint(1, 5))
                data[f"item-{match.group(1)}-evidence"] = evidence
        values = self._values(data)
        response, status = await self._request(
            SAVE,
            "POST",
            f"{self.check_url}save/",
            body=urlencode(data).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "HX-Current-URL": f"{self.base_url}{self.check_url}",
                "HX-Target": "save-status",
                "HX-Trigger": "check-form",
                "Origin": self.base_url,
            },
        )
        if status == 0 or status >= 500:
            self.record["unknown"].append(values)  # the save may have been committed
            # Then the version this head holds may be stale, and a save with it is refused:
            # like a person whose save got no answer, reload the check before saving again.
            self.fields = None
            return
        if status != 200:
            return  # refused before saving (CSRF, permission, conflict page)
        text = response.text
        found = VERSION.search(text)
        if 'role="alert"' in text or not found:
            self._fail(SAVE, "refused", f"POST save: {re.sub(r'<[^>]+>', '', text).strip()}")
            return
        self.version = int(found.group(1))
        self.record |= {"confirmed": values, "unknown": [], "saves": self.record["saves"] + 1}

    async def check_page(self) -> None:
        if self.fields is None:
            await self._open_check()
            return
        response, status = await self._request(CHECK, "GET", self.check_url)
        if status != 200:
            return
        found = VERSION.search(response.text)
        # Only this head saves this check, so the page must show the version of its last save.
        if found is None or (int(found.group(1)) != self.version and not self.record["unknown"]):
            shown = found.group(1) if found else "none"
            self._fail(CHECK, "wrong version", f"shows version {shown}, saved {self.version}")

    async def home(self) -> None:
        await self._request(HOME, "GET", "/")

    async def strategy(self) -> None:
        await self._request(STRATEGY, "GET", self.strategy_path)

    async def unit_page(self) -> None:
        await self._request(UNIT, "GET", f"/strategy/units/{self.person['unit_code']}/")


class Executive(User):
    """An executive following the open review on its cycle page while the heads fill in."""

    TASKS = [("cycle_page", 3), ("trivial", 1)]

    def __init__(self, executive: dict, plan: dict) -> None:
        super().__init__(executive, plan)
        self.cycle_path = plan["cycle_path"]

    async def cycle_page(self) -> None:
        await self._request(CYCLE, "GET", self.cycle_path)


async def _run(plan: dict) -> dict:
    heads = [Head(head, plan) for head in plan["heads"]]
    heads += [Executive(executive, plan) for executive in plan.get("executives", [])]
    stopping = asyncio.Event()
    exceptions: Counter = Counter()

    async def user(head: Head, delay: float) -> None:
        await asyncio.sleep(delay)
        if stopping.is_set():
            return
        try:
            await head.run(stopping)
        except Exception as error:  # noqa: BLE001  (reported, and the others go on)
            exceptions[f"{error.__class__.__name__}: {error}"] += 1

    started = time.monotonic()
    tasks = [asyncio.create_task(user(h, i / SPAWN_RATE)) for i, h in enumerate(heads)]
    await asyncio.sleep(plan["seconds"])
    load_ended = time.monotonic()
    stopping.set()
    await asyncio.gather(*tasks)
    ended = time.monotonic()
    return {
        "seconds": load_ended - started,
        "drain_seconds": ended - load_ended,
        "exceptions": [f"{n}× {message}" for message, n in exceptions.items()],
    }


def main(argv: list[str]) -> None:
    plan_path, result_path = argv
    with open(plan_path) as f:
        plan = json.load(f)
    run = asyncio.run(_run(plan))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(result_path, "w") as f:
        json.dump(
            {
                "kinds": KINDS,
                "trivial": TRIVIAL,
                **run,
                "latencies": latencies,
                "outcomes": outcomes,
                "samples": samples,
                "saved": saved,
                "users_started": len(users_started),
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            },
            f,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
