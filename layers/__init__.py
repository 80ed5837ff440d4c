"""Readers that turn third-party files (deposit tables, vector layers) into plain records."""
