"""The nemesis: faults, their targets and schedules, and the effects they are seen to have.

- ``shapes``: pure planning of network partitions (who drops whose packets)
- ``netfilter``: iptables inside the broker containers
- ``spec``: what a fault is, as a scenario file writes it
- ``actions``: every fault kind's inject and heal
- ``effects``: what a fault was seen to do to the cluster
- ``schedule``: timelines and seeded random schedules
- ``core``: the Nemesis itself, which injects, heals, sweeps and records
"""
