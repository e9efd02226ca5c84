"""The YAML knowledge base: schema, loading with collected errors, and the loaded value."""
