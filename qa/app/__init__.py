"""The chat app: its page, handlers, panels, document view, uploads and login, and the server that runs it."""
