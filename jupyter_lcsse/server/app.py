"""``LCSSEApp``: the jupyter_server extension ``lcsse``.

Every setting is a traitlet, so it can be set in ``jupyter_server_config.py``
(``c.LCSSEApp.keepalive_interval = 5``) or on the command line
(``--LCSSEApp.keepalive_interval=5``). The chains, the run registry and the
``HandlerSettings`` (the traitlets the handlers read, ``settings.py``) are built once in
``initialize_settings`` and reach the handlers through the Tornado settings; no handler
reads the app itself.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode, Union

from jupyter_lcsse.chains.builtin import (
    build_agent_chain,
    build_approval_agent_chain,
    build_rag_chain,
)
from jupyter_lcsse.chains.planner import build_planner_chain
from jupyter_lcsse.chains.registry import (
    DEFAULT_SYSTEM_PROMPT,
    Chain,
    build_default_chain,
    load_chains,
    make_chat_model,
)
from jupyter_lcsse.core.masking import mask_logger
from jupyter_lcsse.dialects.native import NativeDialect
from jupyter_lcsse.server.handlers import handlers
from jupyter_lcsse.server.settings import HandlerSettings
from jupyter_lcsse.streaming.limits import RunLimits
from jupyter_lcsse.streaming.registry import RunRegistry


class LCSSEApp(ExtensionApp):
    """Streams LangChain Runnables over Server-Sent Events inside Jupyter Server."""

    name = "lcsse"
    description = __doc__
    load_other_extensions = True

    chains = Dict(
        key_trait=Unicode(),
        value_trait=Union([Unicode(), Dict()]),
        default_value={},
        help=(
            'Chains to offer, by name: {"name": "package.module:attr"}, where attr is a '
            "LangChain Runnable or a zero-argument callable that returns one. A value may "
            'also be {"ref": "package.module:attr", "description": "...", "mode": "auto"}, '
            "where mode is how a request that names none streams it: 'auto' (a LangGraph "
            "graph with LangGraph's stream modes, a chain with a retriever as 'events', "
            "anything else as 'text'), 'text' (astream), 'events' (astream_events v2) or "
            "'graph'. Packages can add chains through the entry-point group "
            "'jupyter_lcsse.chains'. A chain that fails to load is logged and left out."
        ),
    ).tag(config=True)

    default_model = Enum(
        ["auto", "offline", "openai"],
        default_value="auto",
        help=(
            "The chat model of the built-in 'default' chain: 'auto' uses ChatOpenAI when "
            "OPENAI_API_KEY is set and the offline model otherwise."
        ),
    ).tag(config=True)

    builtin_examples = Bool(
        True,
        help=(
            "Offer the built-in 'agent' (create_agent with a calculator and a docs search), "
            "'approval_agent' (the same agent, asking before it calculates: an interrupt "
            "with a checkpointer), 'rag' (answers from the project's docs) and 'planner' (a "
            "todo list in state and a 'researcher' subagent) chains beside 'default'. They "
            "use the same model as 'default'."
        ),
    ).tag(config=True)

    max_source_chars = Int(
        1000,
        help=(
            "Characters of each document's page_content that a 'sources' event carries "
            "(longer ones are cut, with an ellipsis); 0 sends them whole."
        ),
    ).tag(config=True)

    openai_model = Unicode(
        "gpt-4o-mini", help="Model name ChatOpenAI asks for in the 'default' chain."
    ).tag(config=True)

    openai_base_url = Unicode(
        "",
        help=(
            "Base URL of an OpenAI-compatible server for the 'default' chain (Ollama, vLLM, "
            "llama.cpp's server ...). Empty: OPENAI_BASE_URL from the environment, else OpenAI."
        ),
    ).tag(config=True)

    offline_tokens_per_second = Float(
        30.0,
        min=0.0,
        help="Token rate of the offline model (0 = as fast as possible).",
    ).tag(config=True)

    system_prompt = Unicode(
        "", help="System prompt of the 'default' chain (empty: the built-in one)."
    ).tag(config=True)

    keepalive_interval = Float(
        15.0,
        min=0.0,
        help=(
            "Seconds of silence after which a stream gets a ': keep-alive' comment, so "
            "proxies and browsers do not drop an idle connection (0 = never)."
        ),
    ).tag(config=True)

    coalesce_interval = Float(
        0.005,
        min=0.0,
        help=(
            "Seconds a stream's frames may wait to share one socket write. A frame that "
            "comes within this time of the previous write waits for the rest of it, so a "
            "fast chain costs a write per interval, not per token; a frame after a pause "
            "goes out at once (0 = one write per wake-up)."
        ),
    ).tag(config=True)

    retry_ms = Int(
        2000,
        min=0,
        help="Reconnection delay sent to clients in the first frame ('retry:'), in ms.",
    ).tag(config=True)

    orphan_timeout = Float(
        30.0,
        min=0.0,
        help=(
            "Seconds a running run may go without any listener before it is cancelled "
            "(so an abandoned browser tab does not keep paying for tokens; 0 = never)."
        ),
    ).tag(config=True)

    run_ttl = Float(
        600.0,
        min=0.0,
        help=(
            "Seconds a finished run is kept for late readers and status queries "
            "(0 = no time limit; max_runs still applies)."
        ),
    ).tag(config=True)

    max_runs = Int(
        256, min=1, help="How many finished runs are kept at most (oldest forgotten first)."
    ).tag(config=True)

    max_active_runs = Int(
        16,
        min=1,
        help="How many runs may stream at once; past that, new runs get 429 with Retry-After.",
    ).tag(config=True)

    retry_after_seconds = Int(
        2, min=1, help="The Retry-After value sent with 429 when max_active_runs is reached."
    ).tag(config=True)

    replay_buffer_size = Int(
        10_000,
        min=1,
        help=(
            "Events each run keeps for clients that reconnect with Last-Event-ID; a client "
            "further behind gets 410 instead of a stream with a hole."
        ),
    ).tag(config=True)

    replay_buffer_bytes = Int(
        16 * 1024 * 1024,
        min=0,
        help=(
            "Bytes of frames each run keeps for replay, whatever replay_buffer_size says "
            "(counted as the frames' length: exact for ASCII text, while other text takes "
            "2 or 4 bytes a character in memory; trimmed to three quarters when reached; "
            "the newest frame always stays). A "
            "client that needs a trimmed frame gets 410, or, when it falls that far behind "
            "while streaming, 'event: error' (ReplayGap) then 'event: end'. Bounds the "
            "memory of a run whose reader paused, whatever its chunk sizes (0 = no byte "
            "limit)."
        ),
    ).tag(config=True)

    max_finished_bytes = Int(
        128 * 1024 * 1024,
        min=0,
        help=(
            "Bytes of frames all finished runs may keep together for late readers; past "
            "that the oldest finished runs are forgotten first, before run_ttl (like "
            "max_runs, which counts them). 0 = no byte limit."
        ),
    ).tag(config=True)

    max_body_bytes = Int(
        64 * 1024, min=1, help="Largest request body accepted, in bytes (413 above it)."
    ).tag(config=True)

    cancel_timeout = Float(
        2.0,
        min=0.0,
        help=(
            "Seconds a cancelled chain has to stop. One that ignores cancellation is then "
            "abandoned: its stream ends with 'end' (reason cancelled), its max_active_runs "
            "slot is freed, what it sends later is dropped, and a warning is logged. "
            "DELETE answers 200 once the chain stopped, or 202 when it was abandoned."
        ),
    ).tag(config=True)

    shutdown_timeout = Float(
        5.0,
        min=0.0,
        help="Seconds the server waits at shutdown for streams to send their end event.",
    ).tag(config=True)

    inline_str_parsers = Bool(
        True,
        help=(
            "Run the chains' StrOutputParser steps inline. langchain-core's async output "
            "parsers hand every chunk to a thread-pool job; for StrOutputParser (which "
            "returns its input) that hop is most of a token's cost. Output, callbacks and "
            "run names stay those of StrOutputParser. False: LangChain's own behaviour."
        ),
    ).tag(config=True)

    freeze_gc_at_start = Bool(
        True,
        help=(
            "Once the server has started, move the objects it made while starting "
            "(Jupyter, its extensions, LangChain, pydantic schemas) out of the garbage "
            "collector's reach with gc.freeze(). Streaming allocates many short-lived "
            "objects, which trigger full collections; with the startup heap in them each "
            "one paused the whole server for 50-100 ms (see BENCHMARKS.md). Frozen objects "
            "are still freed by reference counting; only a reference cycle among them is "
            "never collected, a small one-off leak at most. Affects the whole server process."
        ),
    ).tag(config=True)

    extra_secrets = List(
        Unicode(),
        default_value=[],
        help=(
            "Strings masked as *** in error events and in the extension's log, besides "
            "Jupyter's token, the values of environment variables named *API_KEY, "
            "*_TOKEN, *_SECRET, *_PASSWORD (OPENAI_API_KEY among them) and well-known key "
            "shapes (see jupyter_lcsse/masking.py). For secrets a chain holds that have "
            "none of those shapes, e.g. c.LCSSEApp.extra_secrets = [os.environ['DB_PASS']]."
        ),
    ).tag(config=True)

    def initialize_settings(self) -> None:
        model: dict[str, Any] = {
            "model": self.default_model,
            "openai_model": self.openai_model,
            "openai_base_url": self.openai_base_url,
            "offline_tokens_per_second": self.offline_tokens_per_second,
        }
        default = build_default_chain(
            **model, system_prompt=self.system_prompt or DEFAULT_SYSTEM_PROMPT
        )
        builtins = {"default": default}
        if self.builtin_examples:
            choice = make_chat_model(**model)
            builtins["agent"] = build_agent_chain(choice)
            builtins["approval_agent"] = build_approval_agent_chain(choice)
            builtins["rag"] = build_rag_chain(choice)
            builtins["planner"] = build_planner_chain(
                choice, tokens_per_second=self.offline_tokens_per_second
            )
        chains: dict[str, Chain] = load_chains(self.chains, builtins, self.log)
        token = getattr(self.serverapp, "identity_provider", None)
        secrets = [getattr(token, "token", "") or "", *self.extra_secrets]
        # The extension's own logger (not the server's: that one prints the login URL).
        server_log = getattr(self.serverapp, "log", None)
        if isinstance(self.log, logging.Logger) and self.log is not server_log:
            mask_logger(self.log, secrets)  # a failed chain's traceback quotes its error
        registry = RunRegistry(
            limits=RunLimits(
                buffer_size=self.replay_buffer_size,
                buffer_bytes=self.replay_buffer_bytes,
                orphan_timeout=self.orphan_timeout,
                cancel_timeout=self.cancel_timeout,
                max_source_chars=self.max_source_chars,
                inline_parsers=self.inline_str_parsers,
                max_active_runs=self.max_active_runs,
                max_runs=self.max_runs,
                run_ttl=self.run_ttl,
                max_finished_bytes=self.max_finished_bytes,
            ),
            log=self.log,
            secrets_to_hide=secrets,
            new_dialect=NativeDialect,
        )
        self.registry = registry
        self.settings.update(
            {
                "lcsse_chains": chains,
                "lcsse_runs": registry,
                "lcsse_settings": HandlerSettings.from_traits(self),
            }
        )
        self.log.info("lcsse: %d chain(s): %s", len(chains), ", ".join(chains))

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        """Runs once the event loop is up and every extension is loaded."""
        if self.freeze_gc_at_start:
            gc.collect()
            gc.freeze()
            self.log.info(
                "lcsse: %d startup objects frozen out of garbage collection "
                "(LCSSEApp.freeze_gc_at_start)",
                gc.get_freeze_count(),
            )

    async def stop_extension(self) -> None:
        """Every open stream gets ``event: end`` with reason ``shutdown`` first."""
        registry: Any = getattr(self, "registry", None)
        if registry is not None:
            await registry.shutdown(self.shutdown_timeout)


main = launch_new_instance = LCSSEApp.launch_instance
