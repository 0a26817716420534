"""Workflows shared by the web form, the reviewer pages, the API and the CLI."""
