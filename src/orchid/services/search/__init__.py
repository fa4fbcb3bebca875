"""The search service: product index, suggestions, facets (Elasticsearch; FTS5 embedded)."""
