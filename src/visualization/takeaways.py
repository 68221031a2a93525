"""The summary's pictures: the takeaways list and the closing network.

Scene 7 (SummaryScene) lists one takeaway per scene, each beside the icon of
the picture that taught it (icons.py), then replays the whole story on one
small network: values forward, gradients back.

    takeaway_rows(items)            icon, "1.", sentence; icons in one column
    closing_diagram(model, loss)    network -> L, with a forward arrow over it
                                    and a backward arrow under it
    closing_words(text)             the last line, large, at the bottom edge

Helpers return mobjects; the scene plays them.
"""

from __future__ import annotations

from manimlib import DOWN, LEFT, RIGHT, UP, GREY_B, WHITE, YELLOW, Arrow, VGroup

from src.visualization.graph import ComputationNode
from src.visualization.icons import scene_icon
from src.visualization.network import NetworkDiagram
from src.visualization.style import FORWARD_FLOW_COLOR, GRADIENT_COLOR, text_label

__all__ = ["takeaway_rows", "closing_diagram", "closing_words"]

ICON_X = -6.0          # the icons' column
SENTENCE_LEFT = -5.0   # where the numbers and sentences start
SENTENCE_MAX_WIDTH = 10.8
ROWS_Y = -0.25         # the list's centre
DIAGRAM_Y = -0.2       # the closing network's centre


def takeaway_rows(items) -> VGroup:
    """One row per (icon kind, sentence): icon, yellow "n.", white sentence;
    icons share one column, numbers and sentences another."""
    rows = VGroup()
    for number, (icon_kind, sentence) in enumerate(items, start=1):
        icon = scene_icon(icon_kind, height=0.5).set_max_width(1.2)
        badge = text_label(f"{number}.", YELLOW, font_size=28)
        words = text_label(sentence, WHITE, font_size=28)
        words.set_max_width(SENTENCE_MAX_WIDTH)
        rows.add(VGroup(icon, badge, words).arrange(RIGHT, buff=0.3))
    rows.arrange(DOWN, aligned_edge=LEFT, buff=0.6)
    for row in rows:
        row[0].set_x(ICON_X)
        row[1].next_to(row[0], RIGHT, buff=0.4).set_x(SENTENCE_LEFT, LEFT)
        row[2].next_to(row[1], RIGHT, buff=0.2)
    return rows.set_x(0).set_y(ROWS_Y)


def closing_diagram(model, loss) -> VGroup:
    """The model's network, an arrow into the loss node L: a VGroup (net,
    arrow, node) with `.net`, `.loss_arrow`, `.loss_node`, and above and
    below it `.forward_arrow` / `.forward_words` (yellow, left to right),
    `.backward_arrow` / `.backward_words` (red, right to left)."""
    net = NetworkDiagram(model, layer_gap=2.6, neuron_gap=1.0, radius=0.3)
    node = ComputationNode(loss, "output", "L")
    node.remove(node.value_label, node.grad_label)
    node.scale(0.8).next_to(net, RIGHT, buff=1.0)
    arrow = Arrow(net.neurons[-1][0].get_right(), node.get_left(), buff=0.1,
                  thickness=3.0).set_fill(GREY_B)
    diagram = VGroup(net, arrow, node).move_to(DIAGRAM_Y * UP)
    diagram.net, diagram.loss_arrow, diagram.loss_node = net, arrow, node
    for name, start, end, color, words, side in (
            ("forward", LEFT, RIGHT, FORWARD_FLOW_COLOR,
             "forward: compute values, save activations", UP),
            ("backward", RIGHT, LEFT, GRADIENT_COLOR,
             "backward: gradients in reverse order", DOWN)):
        flow = Arrow(start, end, thickness=4.0).set_fill(color)
        flow.set_width(diagram.get_width()).next_to(diagram, side, buff=0.35)
        label = text_label(words, color, font_size=24).next_to(flow, side, buff=0.12)
        setattr(diagram, f"{name}_arrow", flow)
        setattr(diagram, f"{name}_words", label)
    return diagram


def closing_words(text: str):
    """The lecture's last line: large white words at the bottom edge."""
    return text_label(text, WHITE, font_size=34).to_edge(DOWN, buff=0.3)
