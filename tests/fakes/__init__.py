"""In-memory fakes shared by the unit tests: clocks and the stores most use cases read.

Fakes, not mocks: each keeps state and answers as its adapter would, so a test states facts
(this org exists, this app is stored) instead of scripting calls. A fake used by one test module
only stays in that module.
"""
