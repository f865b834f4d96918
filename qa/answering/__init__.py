"""From a question to an answer: search, the focus, the scorers and the reader, the sentence and its span."""
