"""The OAuth 2.0 authorization server of the Open Badges API, built on Authlib's RFC implementations.

``scopes``: the four OB scopes; ``secrets``: random values and their stored hashes; ``models``:
our rows as Authlib clients, codes and tokens; ``grants``: authorization code (PKCE S256 and
``state`` required, single-use codes) and refresh (rotation); ``registration``: RFC 7591 with
the OB metadata rules; ``server``: the per-request server over one database session.
"""
