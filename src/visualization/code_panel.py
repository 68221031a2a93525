"""A block of code lines with a value column, kept in step with a scene.

`code_panels(forward, backward)` lays out scene 5's pair (the forward code
left, the backward code in the bottom-right corner, tops aligned);
`caption_beside_code` puts a caption under the forward code, in the room
left of the backward code.
"""

from __future__ import annotations

from manimlib import (
    DOWN, GREY_B, LEFT, RIGHT, UP, WHITE, YELLOW, FadeIn, Rectangle, Transform, VGroup,
)

from src.visualization.formulas import number_tex
from src.visualization.style import CODE_FONT, GRADIENT_COLOR, math_label, text_label


__all__ = [
    "CodePanel", "code_panels", "caption_beside_code",
]

CORNER_BUFF = 0.3        # the backward code from the bottom-right corner
LEFT_BUFF = 0.5          # the forward code from the left edge
CAPTION_GAP = 0.35       # a caption under the forward code
CAPTION_CLEARANCE = 0.4  # ... and this far left of the backward code
CAPTION_MAX_HEIGHT = 1.25

class CodePanel(VGroup):
    """A block of Python lines under a comment header, with a value column.

    `highlight(i)` moves a soft bar to line i (None hides it);
    `annotate(i, x)` writes the value line i produced in the value column,
    in the gradient colour. Both return animations. The value column is
    part of the panel's bounds (an invisible slot), so placing the panel
    inside the frame keeps its values inside too; a wide value is shrunk
    to the column.
    """

    FONT_SIZE = 28

    def __init__(self, header: str, lines, value_color=GRADIENT_COLOR,
                 value_width: float = 1.1):
        super().__init__()
        self.header = text_label(header, GREY_B, font_size=self.FONT_SIZE, font=CODE_FONT)
        self.lines = VGroup(*(text_label(line, WHITE, font_size=self.FONT_SIZE, font=CODE_FONT)
                              for line in lines))
        body = VGroup(self.header, *self.lines)
        body.arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        self.body = body
        self.value_color = value_color
        self.annotations = {}
        self.value_slot = Rectangle(width=value_width, height=body.get_height())
        self.value_slot.set_opacity(0).next_to(body, RIGHT, buff=0.35)
        self.bar = Rectangle(width=1, height=1).set_stroke(width=0).set_fill(YELLOW, 0)
        self.bar.move_to(body)
        self.add(self.value_slot, self.bar, body)

    @property
    def value_column(self) -> float:
        """x where the values of the lines start (follows the panel)."""
        return self.value_slot.get_left()[0]

    def _bar_for(self, index: int) -> Rectangle:
        line = self.lines[index]
        left = self.body.get_left()[0] - 0.08
        bar = Rectangle(width=self.value_slot.get_right()[0] - left,
                        height=line.get_height() + 0.14)
        bar.set_stroke(width=0).set_fill(YELLOW, 0.18)
        bar.move_to(line).set_x(left, LEFT)
        return bar

    def highlight(self, index):
        if index is None:
            target = self.bar.copy().set_fill(opacity=0)
        else:
            target = self._bar_for(index)
        return Transform(self.bar, target)

    def annotate(self, index: int, value: float):
        """Show `value` as the result of line `index` (replacing any old one)."""
        label = math_label(number_tex(value), self.value_color)
        label.set_height(self.lines[index].get_height() * 1.05)
        label.set_max_width(self.value_slot.get_width())
        label.next_to(self.lines[index], RIGHT, buff=0)
        label.set_x(self.value_column, LEFT)
        label.number = value
        old = self.annotations.get(index)
        if old is not None:
            self.remove(old)
        self.annotations[index] = label
        self.add(label)
        return FadeIn(label, shift=0.15 * LEFT)


def code_panels(forward_lines, backward_lines) -> tuple:
    """(forward, backward) CodePanels: "# Backward" in the bottom-right
    corner, "# Forward" at the left edge with its top level with it."""
    forward = CodePanel("# Forward", forward_lines)
    backward = CodePanel("# Backward", backward_lines)
    backward.to_corner(DOWN + RIGHT, buff=CORNER_BUFF)
    forward.to_edge(LEFT, buff=LEFT_BUFF).align_to(backward, UP)
    return forward, backward


def caption_beside_code(caption, forward: CodePanel, backward: CodePanel):
    """Fit `caption` under the forward code, left of the backward code."""
    room = backward.get_left()[0] - CAPTION_CLEARANCE - forward.get_left()[0]
    caption.set_max_width(room).set_max_height(CAPTION_MAX_HEIGHT)
    return caption.next_to(forward, DOWN, buff=CAPTION_GAP, aligned_edge=LEFT)
