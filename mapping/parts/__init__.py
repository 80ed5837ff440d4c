"""Page parts: widgets and panels that the pages in mapping/pages put together."""
