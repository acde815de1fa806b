"""The journalist interface: sign-in (password + TOTP), HTML pages without
JavaScript, and the JSON API the online CLI uses. Served as its own ASGI app
(port 8081 by default, behind a client-authorised onion service).

Nothing here ever holds a journalist's decryption key or a plaintext byte of a
submission: it lists, serves and deletes ciphertext, and stores sealed replies.
"""
