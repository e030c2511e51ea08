"""The DataSync scheduler's core: decisions (`domain`), messages (`messages`), the workflow's steps
(`workflow`), the ports they need (`ports`), AWS adapters (`adapters`) and their wiring
(`composition`). docs/code-map.md follows one run through them."""
