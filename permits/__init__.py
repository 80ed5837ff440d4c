"""The permitting domain (timelines arrive in a later issue)."""
