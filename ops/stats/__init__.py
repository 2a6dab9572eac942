"""Container resource stats: the collector, the in-memory last hour, the stored rollups and the health history."""
