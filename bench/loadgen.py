"""The users of `python -m bench.load`, driven by locust in a process of their own.

    python -m bench.loadgen PLAN.json RESULT.json

bench.load writes PLAN: the server's address, the cookie names, the run's length and one head
per user (session key, check, unit). Each user is such a head. It opens its check once, for
the CSRF cookie and the form as a browser has them, then mixes page reads with htmx autosaves
of its whole check (random scores 1-5) until the time is up, sending each save with the
version the previous save returned. RESULT holds the raw latencies by kind of request, the
failed requests, and what each head last saw saved, for bench.load to compare with the database.

This module imports no Django: locust patches the standard library for gevent on import.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import gevent
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from bench.checkform import SCORE_FIELD, VERSION, CheckForm

HOME, CHECK, STRATEGY, UNIT, SAVE, TRIVIAL = (
    "home",
    "check page",
    "strategy page",
    "unit page",
    "score save",
    "trivial view",
)
KINDS = [SAVE, CHECK, HOME, STRATEGY, UNIT, TRIVIAL]
SAMPLES = 20  # failures kept with their details, per kind and outcome

latencies: dict[str, list[float]] = defaultdict(list)
outcomes: dict[str, Counter] = defaultdict(Counter)
samples: dict[str, list[str]] = defaultdict(list)
saved: dict[str, dict] = {}  # username -> what the head last saw saved, see Head.on_start


class Head(FastHttpUser):
    """A department head on their own team's check. bench.loadgen.main sets the plan."""

    heads: list[dict] = []
    session_cookie = "sessionid"
    strategy_path = "/strategy/"
    network_timeout = 60.0
    connection_timeout = 60.0
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.head = Head.heads.pop()
        self.rng = random.Random(self.head["username"])
        # The cookies are kept here, not in locust's cookie jar: without DEBUG they are Secure
        # (and __Host-), which the jar rightly never sends over plain HTTP.
        self.cookies = {self.session_cookie: self.head["session_key"]}
        self.check_url = f"/reviews/checks/{self.head['check_id']}/"
        self.fields: dict[str, str] | None = None
        self.version: int | None = None
        self.saves = 0
        # `confirmed`: the values of the last save the server confirmed (at first, the ones the
        # form showed); `unknown`: saves sent after it whose outcome is unknown (no answer, or
        # a 5xx), so any of these may be in the database.
        self.record = saved[self.head["username"]] = {
            "check_id": self.head["check_id"],
            "confirmed": None,
            "unknown": [],
            "saves": 0,
        }
        self._open_check()

    def _request(self, kind: str, method: str, path: str, *, headers=None, **kwargs):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Cookie": cookie, **(headers or {})}
        started = time.perf_counter()
        response = self.client.request(
            method, path, name=kind, allow_redirects=False, headers=headers, **kwargs
        )
        latencies[kind].append((time.perf_counter() - started) * 1000)
        for raw in response.headers.getlist("set-cookie") if response.headers else []:
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)  # deleted, e.g. by a logout
                else:
                    self.cookies[name] = morsel.value
        status = response.status_code or 0
        outcome = "ok" if status == 200 else "connection" if status == 0 else str(status)
        outcomes[kind][outcome] += 1
        if outcome != "ok":
            where = f" to {response.headers.get('Location')}" if 300 <= status < 400 else ""
            error = f" ({response.error})" if status == 0 else ""
            self._sample(kind, outcome, f"{method} {path}: {outcome}{where}{error}")
        return response, status

    def _sample(self, kind: str, outcome: str, text: str) -> None:
        key = f"{kind}: {outcome}"
        if len(samples[key]) < SAMPLES:
            samples[key].append(f"{self.head['username']} {text}")

    def _fail(self, kind: str, outcome: str, text: str) -> None:
        """Count a 200 whose content is wrong as a failure of its own kind."""
        outcomes[kind]["ok"] -= 1
        outcomes[kind][outcome] += 1
        self._sample(kind, outcome, text)

    def _open_check(self) -> None:
        response, status = self._request(CHECK, "GET", self.check_url)
        if status != 200:
            return
        form = CheckForm()
        form.feed(response.text)
        fields = {k: v.removeprefix("\n") for k, v in form.fields.items()}
        if not any(SCORE_FIELD.match(name) for name in fields) or "version" not in fields:
            self._fail(CHECK, "no editable form", f"GET {self.check_url}: no check form")
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

    @task(3)
    def save(self) -> None:
        if self.fields is None:
            self._open_check()
            return
        self.saves += 1
        evidence = f"{self.head['username']}, save {self.saves}"
        data = dict(self.fields, version=str(self.version))
        for name in self.fields:
            match = SCORE_FIELD.match(name)
            if match:
                data[name] = str(self.rng.randint(1, 5))
                data[f"item-{match.group(1)}-evidence"] = evidence
        values = self._values(data)
        response, status = self._request(
            SAVE,
            "POST",
            f"{self.check_url}save/",
            data=urlencode(data),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "HX-Request": "true",
                "HX-Current-URL": f"{self.host}{self.check_url}",
                "HX-Target": "save-status",
                "HX-Trigger": "check-form",
                "Origin": self.host,
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
        text = response.text or ""
        found = VERSION.search(text)
        if 'role="alert"' in text or not found:
            self._fail(SAVE, "refused", f"POST save: {re.sub(r'<[^>]+>', '', text).strip()}")
            return
        self.version = int(found.group(1))
        self.record |= {"confirmed": values, "unknown": [], "saves": self.record["saves"] + 1}

    @task(2)
    def check_page(self) -> None:
        if self.fields is None:
            self._open_check()
            return
        response, status = self._request(CHECK, "GET", self.check_url)
        if status != 200:
            return
        found = VERSION.search(response.text or "")
        # Only this head saves this check, so the page must show the version of its last save.
        if found is None or (int(found.group(1)) != self.version and not self.record["unknown"]):
            shown = found.group(1) if found else "none"
            self._fail(CHECK, "wrong version", f"shows version {shown}, saved {self.version}")

    @task(1)
    def home(self) -> None:
        self._request(HOME, "GET", "/")

    @task(1)
    def strategy(self) -> None:
        self._request(STRATEGY, "GET", self.strategy_path)

    @task(1)
    def unit_page(self) -> None:
        self._request(UNIT, "GET", f"/strategy/units/{self.head['unit_code']}/")

    @task(2)
    def trivial(self) -> None:
        self._request(TRIVIAL, "GET", "/bench/trivial/")


def main(argv: list[str]) -> None:
    plan_path, result_path = argv
    with open(plan_path) as f:
        plan = json.load(f)
    logging.basicConfig(level=logging.WARNING)
    Head.host = plan["base_url"]
    Head.heads = list(plan["heads"])
    Head.session_cookie = plan["session_cookie"]
    Head.strategy_path = plan["strategy_path"]
    Head.wait_time = between(plan["think"] * 0.5, plan["think"] * 1.5)
    users = len(Head.heads)

    env = Environment(user_classes=[Head], host=plan["base_url"])
    # At the end, a user in the middle of a request finishes it (so that a save the server
    # committed is not forgotten by the client); waiting users stop at once.
    env.stop_timeout = Head.network_timeout + 15
    runner = env.create_local_runner()
    started = time.monotonic()
    # All users within 2 s; locust warns that faster spawning is unreliable.
    runner.start(users, spawn_rate=min(users, 100))
    gevent.sleep(plan["seconds"])
    load_ended = time.monotonic()
    runner.quit()
    ended = time.monotonic()
    exceptions = [f"{e['count']}× {e['msg']}" for e in runner.exceptions.values()]
    with open(result_path, "w") as f:
        json.dump(
            {
                "kinds": KINDS,
                "trivial": TRIVIAL,
                "seconds": load_ended - started,
                "drain_seconds": ended - load_ended,
                "latencies": latencies,
                "outcomes": outcomes,
                "samples": samples,
                "saved": saved,
                "exceptions": exceptions,
                "users_started": len(saved),
            },
            f,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
