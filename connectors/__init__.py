"""Platform connectors: each turns one platform's payloads into the common model."""
