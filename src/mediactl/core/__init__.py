"""Infrastructure that every stage may use and that knows no stage: the error tree, the terminal,
atomic file writes and locks, path confinement, control characters, who is acting. It is the first
stage, so it should import no other mediactl package (tests/test_layout.py lists the one exception
still to be removed: the console's redaction of secrets, which lives in config.credentials)."""
