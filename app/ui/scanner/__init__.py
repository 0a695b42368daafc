"""The scanner panel (the scanner itself is Qt-free, in ``app.scanner``)."""
