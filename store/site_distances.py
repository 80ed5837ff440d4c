"""Distances from a point to a stored site, measured by PostGIS on the WGS 84 spheroid.

The permits importer links a dashboard project to a site of similar name within so many km;
on PostGIS the database measures (geography, not a sphere); on SQLite there is nothing to
ask, and ``permits.site_links`` uses its great-circle formula.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text

from domain.i18n import tr
from store.errors import StoreError


def site_distance_km(engine: Engine) -> Callable[[float, float, str], float] | None:
    """``(lat, lon, site id) -> km`` answered by PostGIS, or None on SQLite."""
    if engine.dialect.name != "postgresql":
        return None
    query = text("SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), "
                 "4326)::geography) / 1000.0 FROM sites WHERE id = :id AND geom IS NOT NULL")

    def measure(lat: float, lon: float, site_id: str) -> float:
        with engine.connect() as connection:
            km = connection.execute(query, {"lat": lat, "lon": lon, "id": site_id}).scalar()
        if km is None:
            raise StoreError(tr("Site {id} has no stored position to measure from.").format(
                id=site_id))
        return float(km)

    return measure
