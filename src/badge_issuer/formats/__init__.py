"""Presented-badge formats: JSON, VC-JWT, baked PNG and SVG."""
