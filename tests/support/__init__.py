"""Helpers the tests share: fixtures built in code, layer files, throwaway PostgreSQL, RFC 7946."""
