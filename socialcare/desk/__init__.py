"""The desk: web pages and JSON API for agents, admins and analysts."""
