"""The order center's importer: files → typed, validated rows → DuckDB, idempotently."""
