"""Keys, DIDs and Data Integrity proofs."""
