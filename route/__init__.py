"""Route: rule files (schema, loader, engine), priority, SLA policies, and the router stage that
turns classified mentions into cases."""
