"""Cold-start forks: small stand-ins for library code that costs milliseconds at a function's first
invocation. Each module says what it replaces, what it saves, the parity test that checks it against
the library, and when it can go (see docs/decisions.md)."""
