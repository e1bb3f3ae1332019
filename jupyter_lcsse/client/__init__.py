"""The Python side of a run's stream: an HTTP client and a reader of typed events.

``http`` is ``LCSSEClient`` (the tutorial's and the tests' client, on the package's own
SSE parser), ``run_state`` the reader that folds a run's frames into its answer, tool
calls and end (the kernel widget uses it too; the page has its twin, ``RunEvents``).
"""

from jupyter_lcsse.client.http import EventStream, LCSSEClient, RunInterrupted, SSEHTTPError

__all__ = ["EventStream", "LCSSEClient", "RunInterrupted", "SSEHTTPError"]
