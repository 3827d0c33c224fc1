"""Dialect adapters: each translates one provider's HTTP API onto the core's operations."""
