"""Wire dialects: a run's typed events as the frames one protocol sends.

``native`` is the SSE vocabulary of docs/protocol.md; ``agui`` is AG-UI 1.0 (its
``encoder`` turns typed events into AG-UI events; its ``input`` and ``messages`` read a
``RunAgentInput`` into a chain's input and config). Both implement the ``Dialect``
interface the run asks for (``jupyter_lcsse.streaming.runs``).
"""
