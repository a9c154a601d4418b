"""The history: one append-only record of what happened in a run (``schema``: the record kinds as classes,
``ops``: the op that carries a record, ``writer``: appending, ``loader``: reading it back, checked line by
line, ``tables``: the columnar views the checks use)."""
