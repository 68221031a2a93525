"""What the lecture computes with the engine (no manim): its expressions, graph text, the two-layer model, the training record, the expression parser."""
