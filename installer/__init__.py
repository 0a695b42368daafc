"""Building Tradedesk's installers: the PyInstaller bundle and the per-platform packages.

``installer/build.py`` is the one entry point, used locally and by the CI workflow; see
installer/README.md.
"""
