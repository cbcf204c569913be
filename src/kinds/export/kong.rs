//! Kong's `GET /schemas/{kind}` and `/schemas/plugins/{name}` JSON shape, from the registry.
