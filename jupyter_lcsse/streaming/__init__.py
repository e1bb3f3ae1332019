"""From a Runnable's chunks to a run's ordered, replayable log of frames.

``adapters`` stream a Runnable (``astream``, ``astream_events`` v2, or LangGraph's own
stream modes) and ``events`` turns the chunks into typed events; ``runs`` drives one run
(the task, cancel, finish), keeps its frames for replay and wakes the readers, and the
registry holds the runs of a server or a kernel. A wire dialect (``jupyter_lcsse.
dialects``) turns the typed events into frames; nothing here knows Tornado, the kernel
or either dialect's format.
"""
