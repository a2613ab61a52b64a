"""A real-time HTTP endpoint for the registered champion (and challenger), with A/B routing.

The pure pieces import nothing web-related, so they can be unit-tested and read by the CLI
and Dagster while a server runs:

- `settings`      where the routing table and traffic log live, the request limits and timeouts
- `jsonlines`     the request shape (`{"features": [...]}` per line) and its 4xx errors
- `routing`       the weighted champion/challenger table on disk and the choice per request
- `traffic_stats` what one answered request records, and running per-variant totals
- `traffic_log`   those records in size-capped, rotated JSON Lines files, and the totals of all

`variants` loads the aliased versions from the MLflow registry, `app` is the Starlette
application (with `request_body`, the body's size cap and deadline, and `server_errors`, the
generic 500), `header_timeout` the deadline for request headers that uvicorn lacks, and
`__main__` the `serve`, `shift-traffic` and `stats` commands (`sentiment-assets serving ...`).
"""
