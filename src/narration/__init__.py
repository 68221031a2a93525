"""Narration: what the lecture says, how the voice says it, and the soundtrack it makes."""
