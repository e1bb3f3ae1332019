"""The offline model's canned answers: what it knows, apart from how it streams it.

A few topics about SSE and streaming, each a markdown text with line breaks, lists and
code blocks (the text that breaks naive SSE), the keywords that pick one, and the answer
to everything else, which says plainly that this is the offline model and how to use a
real one. ``model.py`` streams these token by token; edit the texts here.
"""

from __future__ import annotations

import re

__all__ = ["TOPICS", "answer_for", "topic_for"]

_SSE = """\
*Offline model (no network): a built-in answer about Server-Sent Events.*

## Server-Sent Events in one minute

**Server-Sent Events (SSE)** let a server push text to a client over one long HTTP
response with `Content-Type: text/event-stream`. Each event is a few `field: value`
lines, and **a blank line ends the event**:

```
id: 1
data: Hello
data: world

```

The browser's `EventSource` joins the two `data:` lines with a newline, so
`event.data` is `"Hello\\nworld"`. That is why a token that contains a line break must
be sent as several `data:` lines: a plain `f"data: {chunk}\\n\\n"` cuts it in two.

- `event:` names the event type (default `message`).
- `id:` lets a client resume after a dropped connection.
- `retry:` tells the client how many milliseconds to wait before reconnecting.
- Lines starting with `:` are comments, handy as keep-alives.

SSE is plain HTTP: it passes proxies, uses the page's cookies, and needs no special
server. It only goes one way, server to client, which is exactly what streaming an
LLM's answer needs.
"""

_WEBSOCKET = """\
*Offline model (no network): a built-in answer about SSE versus WebSocket.*

## SSE or WebSocket?

Both keep a connection open, but they solve different problems.

| | SSE | WebSocket |
|---|---|---|
| direction | server to client | both ways |
| protocol | plain HTTP response | upgrade to its own framing |
| reconnect | built in (`retry`, `Last-Event-ID`) | write it yourself |
| data | UTF-8 text | text or binary |

For streaming tokens from a model, **SSE is usually the better fit**:

1. The client sends one request (the question) and reads one long answer.
2. Auth, cookies, CORS and proxies work as for any HTTP request.
3. A dropped connection resumes where it stopped, without new code.

Pick a WebSocket when the client must keep talking during the stream, for example to
send audio while it plays the answer, or for a multiplayer cursor.

```python
# SSE in the browser is one line:
# const source = new EventSource("/lcsse/api/runs/RUN_ID/events");
```
"""

_RECONNECT = """\
*Offline model (no network): a built-in answer about reconnection and Last-Event-ID.*

## Reconnecting with `Last-Event-ID`

When an SSE connection drops, `EventSource` reconnects **by itself**:

1. It waits the `retry:` time the server last sent (in milliseconds).
2. It sends the same request again with a `Last-Event-ID` header holding the last
   `id:` it saw.
3. The server replays every event after that id, then goes on live.

```
retry: 2000

id: 41
data: tok

```

A server that answers `204 No Content` tells the browser to **stop** reconnecting.
Send it once the stream has ended and the client has every event; otherwise a
finished stream looks like a dropped one, and the browser reconnects, and a naive
server runs (and bills) the whole generation again.

- Give every event an increasing `id:`.
- Keep a replay buffer per run.
- End every stream with a final event, so clients know it is over.
"""

_LANGCHAIN = """\
*Offline model (no network): a built-in answer about LangChain streaming.*

## Streaming with LangChain

Every LangChain `Runnable` can stream. A chain of prompt, model and parser streams as
the model produces tokens:

```python
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

chain = ChatPromptTemplate.from_template("{question}") | model | StrOutputParser()
async for chunk in chain.astream({"question": "What is SSE?"}):
    print(chunk, end="", flush=True)
```

- `stream()` is the sync iterator, `astream()` the async one.
- The model yields `AIMessageChunk`s; `StrOutputParser` turns them into `str` chunks.
- **Time to first token** (TTFT) is what a reader feels; total time is what they wait
  for the whole answer. Streaming improves the first, not the second.
- Cancelling the task that iterates `astream()` closes the model's HTTP request, so a
  reader who leaves stops the spending.

The lcsse extension runs `astream()` on the server and sends each chunk as an SSE
event, so a notebook or a browser can watch it arrive.
"""

_JUPYTER = """\
*Offline model (no network): a built-in answer about the lcsse Jupyter extension.*

## The `lcsse` server extension

`jupyter-lcsse` adds an SSE API to Jupyter Server, behind Jupyter's own token and
XSRF rules:

- `GET lcsse/api/chains` lists the chains and the input each one expects.
- `POST lcsse/api/chains/{name}/stream` answers with the stream itself, for `fetch`
  and `curl -N`.
- `POST lcsse/api/runs` starts a run; `GET lcsse/api/runs/{id}/events` follows it
  and resumes with `Last-Event-ID`.
- `DELETE lcsse/api/runs/{id}` cancels a run.

```bash
curl -N -H "Authorization: token $TOKEN" \\
  -d '{"input": {"question": "What is SSE?"}}' \\
  http://127.0.0.1:8888/lcsse/api/chains/default/stream
```

Add your own chains with `c.LCSSEApp.chains = {"name": "package.module:attr"}`.
"""

_GREETING = """\
Hello! I am the **offline model** bundled with jupyter-lcsse. I have no network and
no real language model, so I answer only a few questions, but I stream them token by
token, just like a real model would.

Try asking me:

- What is SSE?
- SSE or WebSocket?
- How does `Last-Event-ID` work?
- How does LangChain streaming work?
"""

# (name, keywords, answer), in priority order: the first topic with a keyword wins.
TOPICS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "reconnection",
        ("last-event-id", "last event id", "reconnect", "resume", "retry"),
        _RECONNECT,
    ),
    ("websocket", ("websocket", "web socket"), _WEBSOCKET),
    ("langchain", ("langchain", "astream", "runnable", "token"), _LANGCHAIN),
    ("jupyter", ("jupyter", "lcsse", "extension", "endpoint"), _JUPYTER),
    ("sse", ("sse", "server-sent", "server sent", "event-stream", "eventsource"), _SSE),
    ("greeting", ("hello", "hi", "hey"), _GREETING),
]


def _out_of_scope(question: str) -> str:
    quoted = " ".join(question.split())
    if len(quoted) > 200:
        quoted = quoted[:199] + "…"
    topics = "\n".join(f"- {name}" for name, _, _ in TOPICS if name != "greeting")
    asked = f'You asked: "{quoted}"' if quoted else "I did not get a question."
    return (
        "I am the **offline model** bundled with jupyter-lcsse: I have no network and no "
        "real language model, so I cannot answer that.\n\n"
        f"{asked}\n\n"
        f"I can explain these topics:\n\n{topics}\n\n"
        "To use a real model, set `OPENAI_API_KEY` before starting Jupyter; add "
        "`OPENAI_BASE_URL` to use an OpenAI-compatible server such as Ollama, vLLM or "
        "llama.cpp's server.\n"
    )


def topic_for(question: str) -> str | None:
    """The name of the built-in topic ``question`` is about, or None."""
    lowered = question.lower()
    words = set(re.findall(r"[a-z]+", lowered))
    for name, keywords, _answer in TOPICS:
        for keyword in keywords:
            if (keyword in words) if keyword.isalpha() else (keyword in lowered):
                return name
    return None


def answer_for(question: str) -> str:
    """The full answer to ``question``: a topic's text, or the out-of-scope answer."""
    topic = topic_for(question)
    for name, _keywords, answer in TOPICS:
        if name == topic:
            return answer
    return _out_of_scope(question)
