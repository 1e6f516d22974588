"""The flow engine: stages every order passes, and the moves between them."""
