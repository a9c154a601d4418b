"""The history: one append-only record of what happened in a run (``ops``: the record, ``writer``:
appending, ``loader``: reading it back, ``tables``: the columnar views the checks use)."""
