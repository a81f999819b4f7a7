"""Push messages: authoring, versions, rendering, preview and test send."""
