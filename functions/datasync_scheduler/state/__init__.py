"""The JSON that travels between the workflows' states, as typed models: one module per workflow."""
