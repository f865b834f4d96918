"""From documents to a store: passages embedded and written, one change at a time."""
