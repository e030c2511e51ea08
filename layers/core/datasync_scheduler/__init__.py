"""The DataSync scheduler's core: a pure domain (no AWS SDK) and small AWS adapters."""
