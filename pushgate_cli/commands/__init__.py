"""One module per resource; each command is thin: read options, one client call, show the answer."""
