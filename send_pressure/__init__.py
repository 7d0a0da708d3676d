"""What the dashboard pages share: indicator catalogue, read-only queries, comparisons, charts, link state."""
