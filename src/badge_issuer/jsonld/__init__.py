"""JSON-LD processing: pinned contexts, safe mode and RDFC-1.0 canonicalization."""
