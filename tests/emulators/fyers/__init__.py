"""A loopback Fyers v3 emulator: REST over aiohttp on 127.0.0.1 and fake SDK sockets."""
