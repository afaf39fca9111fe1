"""Policy instruments as objects, and governments built from a scenario's governments table."""
