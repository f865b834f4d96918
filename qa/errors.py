"""The one exception type a user can cause; the CLI and the app turn it into a clean message."""

from __future__ import annotations


class QAError(Exception):
    """A problem with the user's input, documents or index, with what to do about it in the message."""
