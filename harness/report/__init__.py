"""The report: one model built from the history and the check results, rendered to JSON, Markdown,
HTML and plots."""
