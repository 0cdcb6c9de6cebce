"""HTTP routers and their schemas, one module per resource."""
