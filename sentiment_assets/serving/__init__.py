"""A real-time HTTP endpoint for the registered champion (and challenger), with A/B routing.

The pure pieces import nothing web-related, so they can be unit-tested and read by the CLI
and Dagster while a server runs:

- `settings`    where the routing table and traffic log live, and the request limits
- `jsonlines`   the request shape (`{"features": [...]}` per line) and its 4xx errors
- `routing`     the weighted champion/challenger table on disk and the choice per request
- `traffic_log` one JSON line per answered request, and per-variant statistics

`variants` loads the aliased versions from the MLflow registry, `app` is the Starlette
application, and `__main__` the `serve`, `shift-traffic` and `stats` commands.
"""
