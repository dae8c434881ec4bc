"""Storage: tables, engines and sessions, repositories (which never commit), and migrations."""
