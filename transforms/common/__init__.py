"""What every stage shares, and nothing stage-specific: the records passed between stages
(:mod:`.records`), failures as ``errors`` rows (:mod:`.errors`), time and progress counters
(:mod:`.timing`, :mod:`.progress`), secrets kept out of rows (:mod:`.redact`), and the safe way
to get bytes from a URL or a file (:mod:`.fetching`), which reading feeds and fetching pages
both need."""
