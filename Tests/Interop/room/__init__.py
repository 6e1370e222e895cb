"""Reference room for interoperability tests: a Django Channels relay that follows
/work/shared/PROTOCOL.md (shared/PROTOCOL.md in the project) and serves the test page."""
