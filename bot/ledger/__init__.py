"""The hash-chained ledger of the cell's decisions, and what reads it."""
