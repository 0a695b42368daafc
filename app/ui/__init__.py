"""The desktop user interface (PySide6). Talks to the engine through one facade."""
