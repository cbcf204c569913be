//! The proxy: router, forwarding, live reconfiguration.
