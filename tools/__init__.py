"""Typed tool plugins, one module per workspace area. They map requests onto the client, nothing more."""
