"""scrub package."""
