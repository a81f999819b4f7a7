"""Device registration (accept, store, verify, report), erasure, and the devices a send targets."""
