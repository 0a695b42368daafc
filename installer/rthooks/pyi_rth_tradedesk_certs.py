"""Frozen-app runtime hook: make sure OpenSSL has CA certificates to verify venues and feeds.

The frozen app carries the OpenSSL it was built with, which looks for CA certificates where
the build machine keeps them. On macOS (python.org and setup-python builds) that folder is
empty, and a Linux build from one distribution looks in the wrong place on another. When
neither SSL_CERT_FILE nor SSL_CERT_DIR is set and OpenSSL's own location holds nothing, point
SSL_CERT_FILE at certifi's bundle, which ships in the app. Windows is left alone: Python
reads the Windows certificate store there.

Self-contained on purpose: PyInstaller runs it before any of the app's modules exist.
"""


def _tradedesk_ca_bundle() -> None:
    import os
    import ssl
    import sys

    if sys.platform == "win32" or "SSL_CERT_FILE" in os.environ or "SSL_CERT_DIR" in os.environ:
        return
    paths = ssl.get_default_verify_paths()
    if paths.cafile and os.path.isfile(paths.cafile):
        return
    if paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath):
        return
    try:
        import certifi
    except ImportError:
        return
    os.environ["SSL_CERT_FILE"] = certifi.where()


_tradedesk_ca_bundle()
del _tradedesk_ca_bundle
