"""Chains the server and the widget stream: loading, input checking, the built-in ones.

``registry`` loads ``c.LCSSEApp.chains`` and the ``jupyter_lcsse.chains`` entry points and
checks a request's input against a chain's schema; ``builtin`` builds ``default``,
``agent`` and ``rag``; ``message_input`` reads message-like input; ``request_config``
checks the ``config`` a request sends; ``frontend_tools`` offers an AG-UI client's tools
to an agent.

``jupyter_lcsse.chains`` was one module before 0.2; its names stay importable from here.
"""

import warnings
from typing import Any

from jupyter_lcsse.chains.registry import (
    DEFAULT_SYSTEM_PROMPT,
    ENTRY_POINT_GROUP,
    Chain,
    ChainLoadError,
    ChatModelChoice,
    InputError,
    build_default_chain,
    load_chains,
    make_chat_model,
)

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "ENTRY_POINT_GROUP",
    "Chain",
    "ChainLoadError",
    "ChatModelChoice",
    "InputError",
    "build_default_chain",
    "load_chains",
    "make_chat_model",
]


def __getattr__(name: str) -> Any:
    # The old module's other names (input_path, schema_message, ...) for one release.
    from jupyter_lcsse.chains import registry

    if name.startswith("__") or not hasattr(registry, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"jupyter_lcsse.chains.{name} moved to jupyter_lcsse.chains.registry.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(registry, name)
