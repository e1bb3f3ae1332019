"""Masking secrets in text that leaves the process: error events, logs, URLs.

One place for every rule, so the error event a browser sees, the chain description
``GET lcsse/api/chains`` serves, the kernel's stderr and the server's log lines all
hide the same things:

- every *configured* secret, verbatim: Jupyter's token, ``LCSSEApp.extra_secrets``,
  ``OPENAI_API_KEY`` and every environment variable whose name ends in ``API_KEY``,
  ``_TOKEN``, ``_SECRET``, ``_SECRET_KEY``, ``_ACCESS_KEY`` or ``_PASSWORD``;
- the well-known key *shapes*, so a key that was never configured here (one the chain
  read from a file, one an upstream service quoted back) is hidden too: OpenAI
  ``sk-…``, ``Bearer …``, AWS access key ids (``AKIA…``/``ASIA…``), GitHub tokens
  (``ghp_…``, ``gho_…``, ``github_pat_…``), Stripe keys (``sk_live_…``, ``rk_live_…``,
  test keys too), Google API keys (``AIza…``), Slack tokens (``xox…``);
- key/value shapes whose *name* says secret: ``x-api-key: …``, ``api_key=…``,
  ``token=…``, ``password=…``, ``"secret": "…"`` (headers, query strings, JSON);
- the password of ``scheme://user:password@host`` URLs.

Masking is deliberately eager: a masked word in an error message costs nothing, a
leaked key costs a rotation. A configured secret shorter than 4 characters, and an
environment value shorter than 8 (``SOME_TOKEN=true`` is a switch), is not masked
verbatim (it would mask ordinary words); the shapes still apply.

Error answers quote what a client sent (a 422 names the bad value), so they go through
here too: ``excerpt`` is the one way to quote a client's value (its repr, masked, on
one line, cut to 40 characters), and ``public_message`` the last word on any message
that leaves in an answer (masked, one line, at most 1,000 characters). A client may
send a key by mistake, or a 60 KB value on purpose; neither is echoed back in full,
to the client or into the log.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
MAX_MESSAGE = 500
EXCERPT = 40  # characters of a client's value an error message may quote
PUBLIC_MESSAGE = 1000  # characters of an error answer's message
ELLIPSIS = "…"
# Text past this (beyond the cut) is dropped before masking, which is not free on a
# megabyte; it is longer than any secret, so one that starts before the cut is whole.
_MASK_SPAN = 4096
_MIN_SECRET = 4
_MIN_ENV_SECRET = 8  # FOO_TOKEN=true is a switch, not a secret: "true" must stay readable

# Names of environment variables whose values are secrets (matched at the end).
_SECRET_ENV = re.compile(r"(API_KEY|_TOKEN|_SECRET|_SECRET_KEY|_ACCESS_KEY|_PASSWORD)$", re.I)

# Whole-token shapes of well-known credentials: the whole match is replaced.
_TOKEN_SHAPES = re.compile(
    r"""
    \bsk-[A-Za-z0-9_\-]{6,}                                   # OpenAI, Anthropic (sk-ant-)
    | \b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}             # Stripe
    | \b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b         # AWS access key ids
    | \bgh[pousr]_[A-Za-z0-9]{20,}                             # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{20,}                           # GitHub fine-grained
    | \bAIza[0-9A-Za-z_\-]{20,}                                # Google API keys
    | \bxox[abposr]-[A-Za-z0-9\-]{10,}                         # Slack
    """,
    re.VERBOSE,
)

# ``Bearer <credential>`` / ``Basic <credential>``: keep the scheme, hide the value.
_AUTH_SCHEME = re.compile(
    r"\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=\-]{6,}|\b(token)(\s+)[A-Za-z0-9._~+/=\-]{16,}", re.I
)

# A name that says "secret", then ``:`` or ``=`` (optionally quoted, as in JSON or a
# header), then the value: keep the name and the separator, hide the value.
_SECRET_NAME = (
    r"(?:x-)?(?:api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret(?:[_-]?key)?"
    r"|client[_-]?secret|(?:access|refresh|id|auth|session)?[_-]?token|password|passwd|pwd"
    r"|auth(?:orization)?|private[_-]?key|key|credentials?|sig|signature)"
)
_KEY_VALUE = re.compile(
    rf"""
    (?P<name>["']?\b(?:[A-Za-z0-9]+[_-])*{_SECRET_NAME}["']?)  # MISTRAL_API_KEY, HF_TOKEN too
    (?P<sep>\s*[:=]\s*["']?)                  # : or =, maybe a quote
    (?P<value>(?!\*\*\*)[^\s"'&,;}}\]]{{3,}})  # the value, up to a delimiter
    """,
    re.VERBOSE | re.IGNORECASE,
)

# The password of a URL's userinfo: scheme://user:password@host
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^/\s@]+@", re.I)


def env_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables whose names say they are secrets."""
    env = os.environ if environ is None else environ
    return [v for n, v in env.items() if len(v) >= _MIN_ENV_SECRET and _SECRET_ENV.search(n)]


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every configured secret and every known key shape masked."""
    if not text:
        return text
    hidden = {s for s in (*secrets, *env_secrets()) if s and len(s) >= _MIN_SECRET}
    for secret in sorted(hidden, key=len, reverse=True):  # a longer secret may hold a shorter
        text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", text)
    text = _TOKEN_SHAPES.sub(MASK, text)
    text = _AUTH_SCHEME.sub(lambda m: (m[1] or m[3]) + (m[2] or m[4]) + MASK, text)
    return _KEY_VALUE.sub(lambda m: m["name"] + m["sep"] + MASK, text)


def safe_error_message(exc: BaseException, secrets_to_hide: Iterable[str] | None = None) -> str:
    """A one-line message for the client: no traceback, no key, no token.

    Provider errors often quote the request (and so the key) back; everything that
    looks like a key, and every configured secret, is masked.
    """
    text = str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    text = mask_secrets(text, secrets_to_hide or ())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


def _one_line(text: str) -> str:
    """``text`` with every character that is not printable escaped as ``repr`` does
    (``\\n``, ``\\x1b``, ``\\u2028``, a lone surrogate): a quoted value cannot forge a
    log line, move a terminal's cursor, or break the JSON encoder of an answer."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _bounded(text: str, limit: int) -> str:
    """``text`` masked, on one line, and cut to ``limit`` characters with an ellipsis."""
    limit = max(limit, 1)
    text = _one_line(mask_secrets(text[: limit + _MASK_SPAN]))
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A client's value as an error message may quote it: its repr, secrets masked, on
    one line, at most ``limit`` characters (cut with an ellipsis).

    The repr, so a string reads as one (``'abc'``) and a wrong type shows (``5``,
    ``['a']``). Masked before it is cut, so the cut never leaves part of a secret that
    the whole would have matched.
    """
    try:
        text = repr(value)
    except Exception:  # a repr that fails (or recurses too deep) still names the type
        text = f"<{type(value).__name__}>"
    return _bounded(text, limit)


def public_message(text: str, limit: int = PUBLIC_MESSAGE) -> str:
    """``text`` fit for an error answer (and its log line): secrets masked, one line,
    at most ``limit`` characters. A safety net for every message; a message that quotes
    a client's value should quote an ``excerpt`` of it in the first place."""
    return _bounded(text, limit)


def public_url(url: str) -> str:
    """``url`` fit to show: no userinfo, no query or fragment (they carry credentials)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return mask_secrets(url)
    if not parts.scheme or not host:
        return mask_secrets(url)
    if ":" in host:
        host = f"[{host}]"
    return mask_secrets(urlunsplit((parts.scheme, host + port, parts.path, "", "")))


# Query parameters never logged (jupyter_server.log scrubs the same names in its own
# access log; tornado's warnings and our own lines go through scrub_uri below).
_SCRUB_PARAMS = ("token", "auth", "key", "code", "state", "xsrf", "secret", "password")


def scrub_uri(uri: str, extra_param_keys: Iterable[str] = ()) -> str:
    """``uri`` with the value of every query parameter that may carry a credential masked.

    A parameter is scrubbed when its name *contains* one of the names (``_xsrf``,
    ``api_key``, ``access_token``), the rule of jupyter_server's own access log.
    """
    path, sep, query = uri.partition("?")
    if not sep:
        return mask_secrets(uri)
    keys = (*_SCRUB_PARAMS, *extra_param_keys)
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if eq and any(k in name.lower() for k in keys):
            value = MASK
        parts.append(name + eq + value)
    return mask_secrets(path + "?" + "&".join(parts))


class SecretMaskingFilter(logging.Filter):
    """Masks a log record's message, traceback and stack before any handler sees it.

    Attached to a *logger* (``logger.addFilter``), it runs once per record, before the
    record goes to that logger's handlers, its parents' handlers, or Python's
    ``lastResort`` handler (which prints to stderr when nobody configured logging, as
    in a kernel, whose stderr is saved in the notebook). The traceback is formatted
    here and masked; ``exc_info`` is dropped so no later formatter prints the
    unmasked one again.
    """

    def __init__(self, secrets: Callable[[], Iterable[str]] | Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = secrets

    def _current(self) -> list[str]:
        secrets = self._secrets() if callable(self._secrets) else self._secrets
        return list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._current()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg, record.args = mask_secrets(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, secrets)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info, secrets)
        return True


def mask_logger(logger: logging.Logger, secrets: Iterable[str] = ()) -> logging.Logger:
    """Attach a ``SecretMaskingFilter`` (one: a previous one is replaced) to ``logger``."""
    for old in [f for f in logger.filters if isinstance(f, SecretMaskingFilter)]:
        logger.removeFilter(old)
    logger.addFilter(SecretMaskingFilter(list(secrets)))
    return logger


def masked_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with one ``SecretMaskingFilter`` attached."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, SecretMaskingFilter) for f in logger.filters):
        logger.addFilter(SecretMaskingFilter())
    return logger
