"""Sending marketing mail in batches: claim many due ledger rows in one statement (claim), decide and render
them together (batch), hand them to the ESP in as few calls as it allows (transport), and map each
recipient's result back to its row. The exactly-once rules of campaigns.dispatch hold row by row."""
