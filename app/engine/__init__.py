"""The Qt-free trading engine: domain, bus, OMS, portfolio, risk, brackets and the journal."""
