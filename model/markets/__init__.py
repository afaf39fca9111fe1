"""Markets as objects: orders in, a clearing rule chosen by name, settlement through the ledger."""
