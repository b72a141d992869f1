"""Local stand-ins for third-party services, used in development and tests (no internet needed)."""
