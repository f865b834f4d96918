"""The local store: an index folder of segments (vectors, postings, records) published as versions."""
