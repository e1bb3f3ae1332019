"""The offline model that lets everything run with no key and no network.

``model`` is a LangChain chat model that streams natively async at a set pace, ``tools``
its rules for calling tools, ``retriever`` a small search over the shipped docs and
notebooks for the built-in ``rag`` chain and the agent's ``search_docs`` tool.
"""
