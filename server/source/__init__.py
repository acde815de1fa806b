"""The source-facing app: landing page, codenames, uploads, replies."""
