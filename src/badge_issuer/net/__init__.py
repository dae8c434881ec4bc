"""Outbound HTTP with an SSRF guard, size caps, timeouts and a cache."""
