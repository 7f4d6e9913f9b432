"""Running the core: dispatcher, router, use-case runner, outbox, leases, clock, health."""
