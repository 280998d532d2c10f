"""Locust: practitioners submitting whole visits through the API, as fast as they can (bench/load.py runs it).

Each simulated practitioner has their own API token and PUTs complete visits under fresh client ids; every
tenth submission sends the previous visit again unchanged (an offline queue retrying after a lost reply),
which must be answered 200 and stored once. Every id that got a 2xx is written to an acknowledgement file,
so the bench can compare what the server acknowledged with what it stored.

Set by bench/load.py: HOMEVISIT_LOAD_TOKENS (comma-separated), HOMEVISIT_LOAD_CHILDREN (comma-separated),
HOMEVISIT_LOAD_BODY (a JSON template of a visit), HOMEVISIT_LOAD_ACKS (a folder for acknowledgement files) and
HOMEVISIT_LOAD_RATE (submissions per second per user; unset or 0: each user submits again as soon as answered).
"""

from __future__ import annotations

import itertools
import json
import os
import uuid

from locust import FastHttpUser, constant, constant_throughput, task

TOKENS = os.environ.get("HOMEVISIT_LOAD_TOKENS", "").split(",")
CHILDREN = os.environ.get("HOMEVISIT_LOAD_CHILDREN", "").split(",")
TEMPLATE = json.loads(os.environ.get("HOMEVISIT_LOAD_BODY", "{}"))
ACKS = os.environ.get("HOMEVISIT_LOAD_ACKS", "")
RATE = float(os.environ.get("HOMEVISIT_LOAD_RATE", "0") or 0)  # submissions per second per user; 0: flat out
_next_user = itertools.count()


class Submitter(FastHttpUser):
    wait_time = constant_throughput(RATE) if RATE else constant(0)

    def on_start(self) -> None:
        n = next(_next_user)
        self.token = TOKENS[n % len(TOKENS)]
        self.children = CHILDREN[n % len(CHILDREN):] + CHILDREN[:n % len(CHILDREN)]
        self.sent = 0
        self.last: dict | None = None
        self.acks = open(os.path.join(ACKS, f"acks-{os.getpid()}-{n}.txt"), "a", buffering=1) if ACKS else None

    def on_stop(self) -> None:
        if self.acks:
            self.acks.close()

    @task
    def submit(self) -> None:
        self.sent += 1
        replay = self.last is not None and self.sent % 10 == 0
        if replay:
            body = self.last
        else:
            body = {**TEMPLATE, "id": str(uuid.uuid4()), "child_id": self.children[self.sent % len(self.children)]}
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with self.client.put(f"/api/v1/visits/{body['id']}", data=json.dumps(body), headers=headers,
                             name="PUT /api/v1/visits/{id} (replay)" if replay else "PUT /api/v1/visits/{id}",
                             catch_response=True) as response:
            expected = 200 if replay else 201
            if response.status_code != expected:
                response.failure(f"{response.status_code} (expected {expected})")
            else:
                response.success()
            if self.acks and 200 <= response.status_code < 300:
                self.acks.write(f"{response.status_code} {body['id']}\n")
        self.last = body
