"""Observation: everything that learns what the cluster did (partition state, samples, leader changes)."""
