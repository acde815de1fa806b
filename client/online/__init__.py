"""The online workstation's half of the journalist CLI: talk to the
journalist API (over Tor's SOCKS port), fetch and verify sealed bundles,
upload sealed replies, and keep the pinned server signing key.

Nothing here decrypts: the online workstation holds no journalist identity.
Never imports `server` (import contract).
"""
