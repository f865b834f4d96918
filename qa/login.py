"""Logging in to a served app: the one account `qa serve --auth` names, and a limit on failed attempts.

Gradio checks a login by calling this object with the name and password typed. It calls it inside its
event loop and does not say which client is asking, so the limit is on failed attempts from anyone (a
pause would stall every request, so attempts over the limit are refused at once instead): guessing is
held to `max_failures` a `window`, and the rightful user waits at most one window.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)


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
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._failures and self._failures[0] <= now - self.window:
                self._failures.popleft()
            if len(self._failures) >= self.max_failures:
                wait = self._failures[0] + self.window - now
                log.warning("login refused without checking: %d failed logins in %.0f s; logins open again in %.0f s",
                            len(self._failures), self.window, wait)  # fmt: skip
                return False
            # Compared in constant time, both, so a reply's timing tells nothing about either.
            right = hmac.compare_digest(username.encode(), self._user) & hmac.compare_digest(
                password.encode(), self._password
            )
            if not right:
                self._failures.append(now)
                log.warning("failed login (%d in the last %.0f s)", len(self._failures), self.window)
            return bool(right)
