"""``HandlerSettings``: the extension's settings that the handlers and the stream writer read.

``LCSSEApp.initialize_settings`` builds one from its traitlets and puts it in Tornado's
settings as ``lcsse_settings``, beside ``lcsse_chains`` and ``lcsse_runs``; a handler
reads it from ``self.settings``, never from the app. So the handlers do not import the
app, which imports them (import-linter checks it: ``.importlinter``), and a handler's
settings are a plain frozen value a test can build by hand.

Each field is the ``LCSSEApp`` traitlet of the same name (its ``help=`` is the user's
documentation, and the app's traitlets validate the value); the docstrings here say who
reads it. To give the handlers a new setting: a traitlet in ``app.py``, a field of the
same name here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class HandlerSettings:
    """What the handlers and the stream writer read from ``LCSSEApp``, fixed at start."""

    max_body_bytes: int
    """``LCSSEApp.max_body_bytes``: ``LCSSEHandler.prepare`` refuses a larger
    ``Content-Length`` and ``data_received`` a chunked body passing it (413), before the
    body is held."""

    retry_after_seconds: int
    """``LCSSEApp.retry_after_seconds``: the ``Retry-After`` of the 429 a handler answers
    when the registry is at ``max_active_runs``."""

    cancel_timeout: float
    """``LCSSEApp.cancel_timeout``: quoted by ``DELETE lcsse/api/runs/{id}`` in its 202
    message (the run registry enforces the timeout; the handler only says what it was)."""

    retry_ms: int
    """``LCSSEApp.retry_ms``: the ``retry:`` of every stream's first frame."""

    keepalive_interval: float
    """``LCSSEApp.keepalive_interval``: the stream writer's keep-alive timer (0 = none)."""

    coalesce_interval: float
    """``LCSSEApp.coalesce_interval``: how long the stream writer lets a fast stream's
    frames wait to share one write."""

    @classmethod
    def from_traits(cls, app: Any) -> HandlerSettings:
        """The settings read from ``app``'s attributes of the same names (``LCSSEApp``)."""
        return cls(**{field.name: getattr(app, field.name) for field in dataclasses.fields(cls)})
