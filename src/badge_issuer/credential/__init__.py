"""The Open Badges 3.0 data model, its builder and its JSON Schema validation."""
