"""The HTTP surface: create_app(settings), routes, and the problem+json mapping."""
