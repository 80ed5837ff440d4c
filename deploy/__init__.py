"""Running the app for an office: a local PostgreSQL/PostGIS cluster, several app processes
and a load balancer in front of them (``permitmap serve-shared``)."""
