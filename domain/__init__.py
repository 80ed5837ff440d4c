"""Vocabularies and settings shared by every package (standard library only)."""
