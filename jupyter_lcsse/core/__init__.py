"""Pure helpers every layer may use, and that import nothing else of the package.

``sse`` is the SSE codec (the subject the tutorial teaches: no Tornado, no asyncio, no
LangChain), ``masking`` hides secrets in anything a user or a log may see, and
``json_limits`` parses JSON from strangers with a bound on nesting.
"""
