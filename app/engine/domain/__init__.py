"""Pure domain types. Standard library only: no engine, broker, storage or Qt imports."""
