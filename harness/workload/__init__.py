"""The workload: clients that do real work against the cluster and record every operation."""
