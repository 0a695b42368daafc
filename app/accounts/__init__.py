"""Trading accounts: which venue, which mode, which key (kept in the OS keychain).

Qt-free and broker-free: the UI imports it, and the venues are reached through the
``VenueOps`` protocol (``ops``) that ``app.venue_ops`` implements with the real adapters.

    model      Account, AccountMode, ids and labels; the built-in demo account
    venues     what each venue needs (VenueSpec, CredentialField), symbol rules
    validation credentials and modes checked per venue
    secrets    an account's credentials in the OS keychain (app.keychain only)
    store      accounts.sqlite: rows and keychain references, never a secret
    service    AccountService: add, edit, remove, choose, test, go live, Fyers login
    cli        ``main.py accounts ...``

Nothing is imported here, so ``app.accounts.cli`` can declare its parser without loading
SQLAlchemy or the keychain.
"""
