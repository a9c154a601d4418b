"""Running: scenario files, one scenario, a comparison, the CLI and the pytest plugin."""
