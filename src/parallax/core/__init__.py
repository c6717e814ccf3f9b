"""Errors, settings from the environment, file writing: what every layer may use."""
