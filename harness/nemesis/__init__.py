"""The nemesis: faults, their targets and schedules, and the effects they are seen to have.

- ``shapes``: pure planning of network partitions (who drops whose packets)
- ``netfilter``: iptables inside the broker containers
- ``target``: which broker(s) a fault hits, as a scenario writes it
- ``spec``: what a fault is, as a scenario file writes it; it asks ``faults.registry`` which kinds exist
- ``faults``: one unit per fault kind (parameters, minimum brokers, random drawing, targets, inject, heal,
  effects), registered in ``faults.registry``
- ``effects``: the effect watchers the kinds share
- ``schedule``: timelines and seeded random schedules
- ``core``: the Nemesis itself, which injects, heals, sweeps and records
"""
