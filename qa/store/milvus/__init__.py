"""Milvus as a store (Milvus Lite in-process, or a server): engine.py, index.py (reading), writer.py (changes)."""
