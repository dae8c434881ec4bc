"""HTTP routes; each module only parses, calls a spine or a repository, and serialises."""
