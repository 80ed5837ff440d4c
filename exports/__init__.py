"""Export writers: the formats, the RFC 7946 GeoJSON writer and the briefing picture."""
