"""One module per format, each exposing SCRUBBER (scrub.base.Scrubber); modules
starting with "_" are helpers shared by several formats. Loaded lazily by
scrub.registry, never imported here."""
