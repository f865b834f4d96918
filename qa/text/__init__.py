"""Documents as text: the documents read, their sentences and passages, and what is learned from them (abbreviations, names)."""
