"""Samizdat's crypto core: the only package that imports nacl / cryptography.

Public modules (see SPEC.md): keys, age, bundle, signing, keychain, codename,
passwords, reply, errors. Journalist-only (the server may not import them):
identity, opener.
"""
