"""Bundled product resources (demo candles, icons, themes).

A package so that ``importlib.resources.files("resources")`` finds the files both from a source
checkout and inside a frozen build.
"""
