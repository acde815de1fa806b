"""Streaming ingest: multipart body -> sniff -> sandboxed scrub -> sealed bundle.

No plaintext byte of a submission is ever written to disk here: file bodies
exist only in memory (bounded) between the socket and the sealer, and the only
file written is the age ciphertext.
"""
