"""Where passages, vectors and keywords are kept, behind one interface: `local/` (segments in a folder) and Milvus."""
