"""The fault kinds, one unit each: name, summary, parameters and their validation, minimum broker count,
how a random schedule draws it, how it uses its targets, inject, heal and the effects to watch for.

- ``base``: what a kind's definition is (``FaultKindDef``), and the context its functions receive
- ``registry``: ``FAULT_KINDS``, filled from this package's modules, plus ``register`` / ``unregister``
- ``process``: kill, stop, pause, bounce
- ``network``: isolate, isolate-all, split, bridge, ring, one-way
- ``loss``, ``latency``

This file imports nothing: every module here depends on its package, so importing them from here would be a cycle.
"""
