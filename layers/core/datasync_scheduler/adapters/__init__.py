"""Thin AWS adapters: each turns one service's API into the port the workflow steps need."""
