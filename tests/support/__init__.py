"""Real loopback servers standing in for useapi.net and Discord."""
