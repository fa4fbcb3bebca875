"""The search service: product index, suggestions and facets (Elasticsearch; SQLite FTS5 embedded)."""
