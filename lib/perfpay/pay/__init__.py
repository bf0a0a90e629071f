"""Pay from scores and sales: monthly bonus, pool allocation, ranking awards, commission ledger."""
