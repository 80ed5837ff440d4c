"""The ``permitmap`` command line."""
