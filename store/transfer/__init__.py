"""Moving a whole store: backup, restore and copy between SQLite and PostgreSQL."""
