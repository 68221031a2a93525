"""What the theory notes add to the engine: forward mode, higher order, checkpointing, clipping, custom operations, gradient flow."""
