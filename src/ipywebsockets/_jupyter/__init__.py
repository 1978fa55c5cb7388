"""The Jupyter plumbing between a socket's transport and its widgets (layout: README.md)."""
