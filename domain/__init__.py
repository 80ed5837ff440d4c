"""Standard library only: vocabularies, the one bounding box, settings, colours and errors."""
