"""The survey layer catalog: publishing uploads (layers/ reads, store/ keeps) and removing them."""
