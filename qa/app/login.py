"""Logging in to a served app: the one account `qa serve --auth` names, and a limit on failed attempts.

Gradio checks a login by calling a `Login` with the name and password typed, and does not say which
client is asking; `ClientAddress`, a middleware in front of Gradio, tells it through a context variable.
Failed attempts are limited per client address (`max_failures` a `window`), so a guesser elsewhere
cannot lock the rightful user out, and across all addresses (`max_failures * SHARED`), so many
addresses cannot guess much faster than one. Attempts over a limit are refused at once (a pause would
stall Gradio's event loop, which calls this). Behind a proxy every client has the proxy's address:
the limit is then one for everybody, and the rightful user waits at most one window.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar

log = logging.getLogger(__name__)

CLIENT: ContextVar[str] = ContextVar("login_client", default="unknown")
SHARED = 20  # the limit across all addresses, in multiples of one address's


class ClientAddress:
    """ASGI middleware: makes the address of the client a request comes from known to `Login`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = CLIENT.set(client[0] if client else "unknown")
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


class Login:
    def __init__(
        self,
        user: str,
        password: str,
        max_failures: int = 5,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._user, self._password = user.encode(), password.encode()
        self.max_failures, self.window, self._clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}  # per client address, the times of its failed logins
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        now, client = self._clock(), CLIENT.get()
        with self._lock:
            self._forget(now - self.window)
            mine = self._failures.get(client, ())
            if len(mine) >= self.max_failures or len(self._all) >= self.max_failures * SHARED:
                wait = (mine[0] if len(mine) >= self.max_failures else self._all[0]) + self.window - now
                log.warning("login from %s refused without checking: too many failed logins in %.0f s; "
                            "logins open again in %.0f s", client, self.window, wait)  # fmt: skip
                return False
            # Compared in constant time, both, so a reply's timing tells nothing about either.
            right = hmac.compare_digest(username.encode(), self._user) & hmac.compare_digest(
                password.encode(), self._password
            )
            if not right:
                self._failures.setdefault(client, deque()).append(now)
                self._all.append(now)
                log.warning("failed login from %s (%d in the last %.0f s)", client, len(self._failures[client]),
                            self.window)  # fmt: skip
            return bool(right)

    def _forget(self, before: float) -> None:
        """Drop failures older than the window; an address with none left is forgotten."""
        while self._all and self._all[0] <= before:
            self._all.popleft()
        for client in list(self._failures):
            times = self._failures[client]
            while times and times[0] <= before:
                times.popleft()
            if not times:
                del self._failures[client]
