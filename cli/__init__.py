"""The `zkml` command line: a thin layer over the Python API (installed as `zkml.cli`)."""
