"""The shared base of every lcsse API handler: settings, the JSON body, JSON errors.

Every handler is a jupyter_server ``APIHandler`` with ``@web.authenticated`` and
``@authorized``, so Jupyter's own token, cookie, XSRF and authorizer rules apply. Errors
before a stream starts are JSON in jupyter_server's shape (``{"message", "reason"}``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from langchain_core.runnables import RunnableConfig
from tornado.web import HTTPError

from .chains import Chain, InputError
from .runs import Run, RunRegistry, TooManyRuns

if TYPE_CHECKING:
    from .app import LCSSEApp

AUTH_RESOURCE = "lcsse"
ALLOWED_CONFIG_KEYS = frozenset(
    {"tags", "metadata", "run_name", "configurable", "recursion_limit", "max_concurrency"}
)


class RetryLater(HTTPError):
    """429 that carries ``Retry-After`` (``send_error`` clears headers set earlier)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


class LCSSEHandler(ExtensionHandlerMixin, APIHandler):
    """Shared plumbing: settings, the JSON body and JSON errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def lcsse(self) -> LCSSEApp:
        return cast("LCSSEApp", self.extensionapp)

    @property
    def runs(self) -> RunRegistry:
        return cast(RunRegistry, self.settings["lcsse_runs"])

    @property
    def chains(self) -> dict[str, Chain]:
        return cast("dict[str, Chain]", self.settings["lcsse_chains"])

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, RetryLater):
            self.set_header("Retry-After", str(exc.retry_after))
        super().write_error(status_code, **kwargs)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or 413 / 400 that say what is wrong."""
        limit = self.lcsse.max_body_bytes
        size = len(self.request.body)
        if size > limit:
            raise HTTPError(
                413, f"request body is {size} bytes; the limit is {limit} (LCSSEApp.max_body_bytes)"
            )
        if not self.request.body.strip():
            raise HTTPError(400, "request body is empty; send a JSON object")
        try:
            body = json.loads(self.request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPError(400, f"request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise HTTPError(400, f"request body must be a JSON object, not {type(body).__name__}")
        return body

    def find_chain(self, name: Any) -> Chain:
        if not isinstance(name, str) or not name:
            raise HTTPError(400, 'missing field "chain": the name of a chain to run')
        chain = self.chains.get(name)
        if chain is None:
            known = ", ".join(sorted(self.chains)) or "none"
            raise HTTPError(404, f"unknown chain {name!r}; known chains: {known}")
        return chain

    def find_run(self, run_id: str) -> Run:
        run = self.runs.get(run_id)
        if run is None:
            raise HTTPError(404, "unknown run (it never existed, or it ended and was forgotten)")
        return run

    def start_run(self, chain: Chain, body: dict[str, Any]) -> Run:
        """Validate input and config, then start the chain (or 422 / 429)."""
        if "input" not in body:
            raise HTTPError(400, 'missing field "input": the chain\'s input')
        try:
            chain_input = chain.coerce_input(body["input"])
        except InputError as exc:
            raise HTTPError(422, f"chain {chain.name!r}: {exc}") from exc
        config = _runnable_config(body.get("config"))
        try:
            return self.runs.create(
                chain=chain.name, runnable=chain.runnable, input=chain_input, config=config
            )
        except TooManyRuns as exc:
            raise RetryLater(str(exc), retry_after=self.lcsse.retry_after_seconds) from exc

    def run_url(self, run: Run, *parts: str) -> str:
        return url_path_join(self.base_url, "lcsse/api/runs", run.id, *parts)


def _runnable_config(value: Any) -> RunnableConfig | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise HTTPError(400, f'"config" must be a JSON object, not {type(value).__name__}')
    unknown = sorted(set(value) - ALLOWED_CONFIG_KEYS)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_CONFIG_KEYS))
        raise HTTPError(422, f"config.{unknown[0]} is not allowed; allowed keys: {allowed}")
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise HTTPError(422, "config.tags: must be a list of strings")
    for key in ("metadata", "configurable"):
        if not isinstance(value.get(key, {}), dict):
            raise HTTPError(422, f"config.{key}: must be an object")
    return cast(RunnableConfig, value)
