"""Running jobs: kinds, the runner, retries, progress, leases, the prune, maintenance. Builds on
`store`; knows nothing of HTTP endpoints."""
