"""The HTTP routes served beside the pages, and the one table of errors and their status codes."""
