"""Pictures of a classifier and its training: data, decision boundary, curves.

`DecisionBoundaryPlot` draws a 2-D data set with labels +1/-1 as dots in the
colours of their class, over the regions a model assigns to each class. The
regions come from a grid of model scores (`src.data.evaluate_grid`): one
raster image (a single `ImageMobject`, cheap to render) whose pixels are the
grid's points, coloured by the class the score predicts (score > 0 means +1)
and brighter where the score is larger, plus the zero contour (the decision
boundary itself) as one line. A class's dots and its region share a colour:
+1 is the plan's "positive" blue, -1 its "negative" red.

`TrainingCurves` draws a run's loss and accuracy against the step, and
`TrainingStatus` one line of running numbers (step, loss, accuracy). Both
follow a recorded run step by step; `TrainingCurves.trace` returns the
animation that runs them forward.

Helpers return mobjects or animations; scenes play them.

    plot = DecisionBoundaryPlot(X, y, x_range=(-1.5, 2.5), y_range=(-1, 1.5))
    plot.set_boundary(evaluate_grid(model, *plot.grid_spec(160)))
    scene.add(plot)
    scene.play(plot.boundary_transition(evaluate_grid(new_model, *plot.grid_spec(160))))
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from manimlib import (
    BLACK, DL, DOWN, GREY_A, GREY_B, LEFT, ORIGIN, RIGHT, UP, UR, WHITE, YELLOW,
    Animation, Circle, DecimalNumber, Dot, DotCloud, Group,
    ImageMobject, Integer, Line, Rectangle, UpdateFromAlphaFunc,
    VGroup, VMobject, linear,
)
from manimlib.utils.color import color_to_rgb

from src.visualization.style import (
    LOSS_COLOR, NEGATIVE_COLOR, POSITIVE_COLOR, TEXT_FONT, VALUE_TEXT_COLOR, math_label,
    text_label,
)

__all__ = [
    "CLASS_COLORS",
    "ACCURACY_COLOR",
    "PLOT_BACKGROUND",
    "class_color",
    "region_pixels",
    "pixel_class",
    "zero_contour",
    "DecisionBoundaryPlot",
    "RegionImage",
    "TrainingCurves",
    "TrainingStatus",
]

#: A class's dots and its region share one colour: +1 blue, -1 red.
CLASS_COLORS = {1: POSITIVE_COLOR, -1: NEGATIVE_COLOR}
#: Accuracy is a plain value: white, like every number label.
ACCURACY_COLOR = VALUE_TEXT_COLOR
#: The scene background (manimgl's default) that region colours fade into.
PLOT_BACKGROUND = "#333333"

#: Region brightness: the class colour mixed into the background by
#: REGION_MIN at the boundary, up to REGION_MIN + REGION_SPAN where |score| >= 1.
REGION_MIN = 0.22
REGION_SPAN = 0.30


def class_color(label: int):
    """The colour of class `label` (+1 or -1)."""
    if label not in CLASS_COLORS:
        raise ValueError(f"class labels are +1 or -1, got {label!r}")
    return CLASS_COLORS[label]


# --------------------------------------------------------------------------
# Grids of scores -> pixels and contour (no manim objects)
# --------------------------------------------------------------------------

def _check_grid(grid):
    xs, ys, scores = grid
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (len(ys), len(xs)) or len(xs) < 2 or len(ys) < 2:
        raise ValueError("a grid is (xs, ys, scores) with scores[j][i] at (xs[i], ys[j]), "
                         f"at least 2 x 2; got {len(xs)} xs, {len(ys)} ys, scores {scores.shape}")
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), scores


def region_pixels(scores) -> np.ndarray:
    """RGB pixels (uint8, rows top to bottom) for a grid of scores.

    `scores[j][i]` is the score at column i, row j with rows running *up*
    (as `evaluate_grid` returns them); the image's first row is the top, so
    the rows are flipped. A pixel takes the colour of the class its score
    predicts (+1 if score > 0, else -1), mixed into the background more the
    larger |score| is.
    """
    s = np.asarray(scores, dtype=float)[::-1]
    bg = np.array(color_to_rgb(PLOT_BACKGROUND))
    pos = np.array(color_to_rgb(class_color(1)))
    neg = np.array(color_to_rgb(class_color(-1)))
    strength = REGION_MIN + REGION_SPAN * np.minimum(np.abs(s), 1.0)
    target = np.where((s > 0)[..., None], pos, neg)
    rgb = bg + (target - bg) * strength[..., None]
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)


def pixel_class(rgb) -> int:
    """Which class's region a drawn pixel belongs to: +1 if it leans to the
    positive colour (blue over red), else -1."""
    r, _, b = (float(c) for c in rgb[:3])
    return 1 if b > r else -1


def _crossing(p0, p1, s0, s1):
    t = s0 / (s0 - s1)
    return (p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1]))


def zero_contour(grid) -> list:
    """The score = 0 line of a grid, as polylines in data coordinates.

    Marching squares with linear interpolation along cell edges (the sign
    test is score > 0, as for classification; saddle cells are resolved by
    the cell's mean). Returns a list of polylines, each a list of (x, y);
    a closed loop repeats its first point at the end.
    """
    xs, ys, s = _check_grid(grid)
    pos = s > 0
    ny, nx = s.shape

    def node(i, j):
        return (xs[i], ys[j])

    points = {}  # edge id -> crossing point

    def edge_point(eid):
        if eid not in points:
            kind, i, j = eid
            i2, j2 = (i + 1, j) if kind == "h" else (i, j + 1)
            points[eid] = _crossing(node(i, j), node(i2, j2), s[j, i], s[j2, i2])
        return points[eid]

    segments = []
    for j in range(ny - 1):
        for i in range(nx - 1):
            a, b, c, d = pos[j, i], pos[j, i + 1], pos[j + 1, i + 1], pos[j + 1, i]
            if a == b == c == d:
                continue
            bottom, right = ("h", i, j), ("v", i + 1, j)
            top, left = ("h", i, j + 1), ("v", i, j)
            crossed = [e for e, (u, v) in ((bottom, (a, b)), (right, (b, c)),
                                           (top, (d, c)), (left, (a, d))) if u != v]
            if len(crossed) == 2:
                segments.append(tuple(crossed))
                continue
            centre = (s[j, i] + s[j, i + 1] + s[j + 1, i + 1] + s[j + 1, i]) / 4 > 0
            if a == c == centre:       # a, c joined: cut off corners b and d
                segments += [(bottom, right), (top, left)]
            elif a == c:               # b, d joined: cut off corners a and c
                segments += [(bottom, left), (right, top)]
            elif b == d == centre:     # b, d joined
                segments += [(bottom, left), (right, top)]
            else:                      # a, c joined
                segments += [(bottom, right), (top, left)]

    # Chain segments that share an edge crossing into polylines.
    at_edge = {}
    for n, seg in enumerate(segments):
        for eid in seg:
            at_edge.setdefault(eid, []).append(n)
    used = [False] * len(segments)
    lines = []
    for start in range(len(segments)):
        if used[start]:
            continue
        used[start] = True
        chain = list(segments[start])
        for forward in (True, False):
            while True:
                end = chain[-1] if forward else chain[0]
                nxt = [n for n in at_edge[end] if not used[n]]
                if not nxt:
                    break
                used[nxt[0]] = True
                e0, e1 = segments[nxt[0]]
                new = e1 if e0 == end else e0
                if forward:
                    chain.append(new)
                else:
                    chain.insert(0, new)
        lines.append([edge_point(e) for e in chain])
    return lines


# --------------------------------------------------------------------------
# The data and decision-boundary picture
# --------------------------------------------------------------------------

_IMAGE_DIR = Path(tempfile.gettempdir()) / "autograd_lecture_regions"


class RegionImage(ImageMobject):
    """The class regions of one grid, as one raster image.

    `grid` is the `(xs, ys, scores)` it was made from; `pixels` the RGB rows
    written to `image_path` (top row first; pixel (r, c) is grid point
    (xs[c], ys[-1 - r])). `class_at(point)` reads back the class of the
    drawn pixel under a scene point.
    """

    def __init__(self, grid, **kwargs):
        xs, ys, scores = _check_grid(grid)
        self.grid = (list(xs), list(ys), scores.tolist())
        self.pixels = region_pixels(scores)
        _IMAGE_DIR.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(self.pixels.tobytes() + str(self.pixels.shape).encode()).hexdigest()
        path = _IMAGE_DIR / f"region_{digest[:20]}.png"
        if not path.exists():
            tmp = path.with_suffix(f".{digest[20:28]}.tmp.png")
            Image.fromarray(self.pixels, "RGB").save(tmp)
            tmp.replace(path)
        super().__init__(str(path), **kwargs)

    def class_at(self, point) -> int:
        """The class (+1/-1) of the drawn pixel under scene point `point`."""
        (x0, y0), (x1, y1) = self.get_corner(DL)[:2], self.get_corner(UR)[:2]
        rows, cols = self.pixels.shape[:2]
        c = int(np.clip((point[0] - x0) / (x1 - x0) * cols, 0, cols - 1))
        r = int(np.clip((y1 - point[1]) / (y1 - y0) * rows, 0, rows - 1))
        return pixel_class(self.pixels[r, c])


class DecisionBoundaryPlot(Group):
    """Labelled 2-D points over a model's class regions and decision boundary.

    `X` is a list of points [x1, x2], `y` their labels (+1/-1); the plot shows
    data coordinates `x_range` x `y_range` at equal scale, `width` units wide.
    Parts (bottom to top): `region` (a RegionImage, or None before the first
    boundary), `contour` (the zero line, white), `halo` and `dots` (one
    DotCloud per class: `dots[+1]`, `dots[-1]`), `frame` (the border), and
    axis names. Move the plot as a whole; do not rescale it after creation.
    """

    def __init__(self, X, y, x_range, y_range, width: float = 6.0,
                 dot_radius: float = 0.065, contour_width: float = 3.0):
        super().__init__()
        self.X = [list(map(float, p)) for p in X]
        self.y = list(y)
        if len(self.X) != len(self.y) or not self.X:
            raise ValueError("DecisionBoundaryPlot needs one label per point, and some points")
        if set(self.y) - {-1, 1}:
            raise ValueError(f"labels must be +1 or -1, got {sorted(set(self.y))}")
        self.x_range = tuple(map(float, x_range))
        self.y_range = tuple(map(float, y_range))
        self.contour_width = contour_width
        (xa, xb), (ya, yb) = self.x_range, self.y_range
        height = width * (yb - ya) / (xb - xa)
        self.frame = Rectangle(width=width, height=height)
        self.frame.set_stroke(GREY_B, 2).set_fill(BLACK, 0)
        self.region = None
        self.contour = VMobject().set_stroke(WHITE, contour_width)
        self.halo = DotCloud([self.coords_to_point(*p) for p in self.X],
                             color=BLACK, radius=dot_radius * 1.4)
        self.dots = {}
        for label in (-1, 1):
            pts = [self.coords_to_point(*p) for p, t in zip(self.X, self.y) if t == label]
            cloud = DotCloud(pts, color=class_color(label), radius=dot_radius)
            cloud.label = label
            self.dots[label] = cloud
        self.axis_names = VGroup(
            math_label("x_1", GREY_A, height=0.2).next_to(self.frame, DOWN, buff=0.08),
            math_label("x_2", GREY_A, height=0.24).next_to(self.frame, LEFT, buff=0.08),
        )
        self.add(self.contour, self.halo, self.dots[-1], self.dots[1], self.frame,
                 self.axis_names)

    # ---- coordinates ----

    def coords_to_point(self, x1: float, x2: float) -> np.ndarray:
        """Scene point of data coordinates (x1, x2)."""
        (xa, xb), (ya, yb) = self.x_range, self.y_range
        corner = self.frame.get_corner(DL)
        return corner + np.array([(x1 - xa) / (xb - xa) * self.frame.get_width(),
                                  (x2 - ya) / (yb - ya) * self.frame.get_height(), 0.0])

    def point_of(self, index: int) -> np.ndarray:
        """Scene point of data point `index`."""
        return self.coords_to_point(*self.X[index])

    def grid_spec(self, resolution) -> tuple:
        """`(x_range, y_range, (nx, ny))` for `evaluate_grid` so that the grid
        points are the centres of an nx x ny raster covering the plot exactly.
        `resolution` is nx (ny follows the aspect ratio) or a pair."""
        (xa, xb), (ya, yb) = self.x_range, self.y_range
        if isinstance(resolution, (tuple, list)):
            nx, ny = map(int, resolution)
        else:
            nx = int(resolution)
            ny = max(2, round(nx * (yb - ya) / (xb - xa)))
        dx, dy = (xb - xa) / nx, (yb - ya) / ny
        return (xa + dx / 2, xb - dx / 2), (ya + dy / 2, yb - dy / 2), (nx, ny)

    # ---- the boundary ----

    def region_image(self, grid) -> RegionImage:
        """A new RegionImage of `grid`, placed over the data area it covers."""
        image = RegionImage(grid)
        xs, ys, _ = image.grid
        dx, dy = (xs[-1] - xs[0]) / (len(xs) - 1), (ys[-1] - ys[0]) / (len(ys) - 1)
        lo = self.coords_to_point(xs[0] - dx / 2, ys[0] - dy / 2)
        hi = self.coords_to_point(xs[-1] + dx / 2, ys[-1] + dy / 2)
        image.stretch_to_fit_width(hi[0] - lo[0])
        image.stretch_to_fit_height(hi[1] - lo[1])
        image.move_to((lo + hi) / 2)
        return image

    def contour_line(self, grid) -> VMobject:
        """The zero contour of `grid` as one white VMobject (one subpath per line)."""
        line = VMobject()
        for poly in zero_contour(grid):
            pts = [self.coords_to_point(x, y) for x, y in poly]
            if len(pts) < 2:
                continue
            line.start_new_path(pts[0])
            line.add_points_as_corners(pts[1:])
        if not line.has_points():  # no boundary inside the plot: an invisible point
            line.set_points_as_corners([self.frame.get_center()] * 2)
            line.set_stroke(WHITE, 0)
        else:
            line.set_stroke(WHITE, self.contour_width)
        line.grid = grid
        return line

    def set_boundary(self, grid, step=None) -> "DecisionBoundaryPlot":
        """Show `grid`'s regions and contour now (no animation). `step`
        (optional) records which training step the grid's model belongs to,
        as `region.step`."""
        image = self.region_image(grid)
        image.step = step
        if self.region is not None:
            self.remove(self.region)
        self.region = image
        _insert(self, 0, image)
        self.contour.become(self.contour_line(grid))
        self.contour.grid = grid
        self.grid = grid
        self.note_changed_family()
        return self

    def boundary_transition(self, grid, step=None, run_time: float = 1.5) -> Animation:
        """Animate to `grid`'s boundary: the new regions fade in over the old
        ones (then replace them) while the contour moves to its new place.
        The plot must be on screen. `step` is recorded as the new `region.step`."""
        return _BoundaryMorph(self, grid, step, run_time=run_time)

    def region_class_at(self, point) -> int:
        """The class of the region drawn under a scene point."""
        if self.region is None:
            raise ValueError("no boundary drawn yet")
        return self.region.class_at(point)

    def highlight(self, index: int, color=YELLOW, radius: float = 0.17) -> Circle:
        """A ring around data point `index` (a new mobject)."""
        ring = Circle(radius=radius)
        ring.set_stroke(color, 4).set_fill(color, 0)
        ring.move_to(self.point_of(index))
        ring.index = index
        return ring

    def class_key(self, font_size: int = 22) -> VGroup:
        """Dots and words: 'class +1', 'class -1', in the class colours."""
        rows = VGroup()
        for label in (1, -1):
            dot = Dot(radius=0.08).set_fill(class_color(label), 1).set_stroke(BLACK, 2)
            word = text_label("class +1" if label == 1 else "class \u22121", GREY_A, font_size)
            rows.add(VGroup(dot, word).arrange(RIGHT, buff=0.1))
        return rows.arrange(RIGHT, buff=0.4)


def _insert(parent, index: int, child) -> None:
    """Insert `child` among `parent`'s submobjects at `index` (drawn in that
    order), linked both ways as `add` would."""
    parent.submobjects.insert(index, child)
    if parent not in child.parents:
        child.parents.append(parent)
    parent.note_changed_family()


class _BoundaryMorph(Animation):
    """Cross-fade of region images plus the contour's move (see
    DecisionBoundaryPlot.boundary_transition).

    One animation of the plot itself (which is on screen): the new image is
    inserted right above the old one, so the dots and the contour stay on
    top of both, and the old image leaves the plot at the end. The contour
    cross-fades too (point-by-point morphs of contours whose ends move to
    other sides of the plot pass through shapes no model drew).
    """

    def __init__(self, plot: DecisionBoundaryPlot, grid, step=None, **kwargs):
        self.plot = plot
        self.grid = grid
        self.old_region = plot.region
        self.new_region = plot.region_image(grid)
        self.new_region.step = step
        self.contour_target = plot.contour_line(grid)
        super().__init__(plot, **kwargs)

    def create_starting_mobject(self):
        return Group()  # interpolate_mobject below needs no copy of the plot

    def begin(self) -> None:
        plot = self.plot
        self.new_region.set_opacity(0)
        old = self.old_region
        index = plot.submobjects.index(old) + 1 if old in plot.submobjects else 0
        _insert(plot, index, self.new_region)
        self.start_width = float(plot.contour.get_stroke_width())
        self.fading_in = self.contour_target.copy().set_stroke(opacity=0)
        _insert(plot, plot.submobjects.index(plot.contour) + 1, self.fading_in)
        super().begin()

    def interpolate_mobject(self, alpha: float) -> None:
        alpha = self.rate_func(alpha)
        self.new_region.set_opacity(alpha)
        self.plot.contour.set_stroke(opacity=1 - alpha, width=self.start_width)
        self.fading_in.set_stroke(opacity=alpha)

    def finish(self) -> None:
        super().finish()
        plot = self.plot
        self.new_region.set_opacity(1)
        plot.remove(self.fading_in)
        plot.contour.become(self.contour_target)
        if self.old_region is not None:
            plot.remove(self.old_region)
        plot.region = self.new_region
        plot.contour.grid = self.grid
        plot.grid = self.grid


# --------------------------------------------------------------------------
# Training curves and running numbers
# --------------------------------------------------------------------------

class _Panel(VGroup):
    """One small plot: value against step, with a title and end ticks."""

    def __init__(self, values, title: str, color, y_max: float, y_tick: str,
                 width: float, height: float, font_size: int):
        super().__init__()
        self.values = [float(v) for v in values]
        self.y_max = y_max
        self.color = color
        self.x_axis = Line(ORIGIN, width * RIGHT).set_stroke(GREY_B, 2)
        self.y_axis = Line(ORIGIN, height * UP).set_stroke(GREY_B, 2)
        steps = len(self.values) - 1
        tick = font_size - 2
        self.tick_labels = VGroup(
            text_label("0", GREY_A, tick).next_to(self.x_axis.get_start(), DOWN, buff=0.08),
            text_label(str(steps), GREY_A, tick).next_to(self.x_axis.get_end(), DOWN, buff=0.08),
            text_label(y_tick, GREY_A, tick).next_to(self.y_axis.get_end(), LEFT, buff=0.08),
        )
        self.step_name = text_label("step", GREY_A, tick)
        self.step_name.next_to(self.x_axis, DOWN, buff=0.08)
        self.title = text_label(title, color, font_size)
        self.title.next_to(self.y_axis.get_end(), UP, buff=0.12).align_to(self.y_axis, LEFT)
        self.curve = VMobject().set_stroke(color, 3)
        self.marker = Dot(radius=0.06).set_fill(color, 1)
        self.add(self.x_axis, self.y_axis, self.tick_labels, self.step_name, self.title,
                 self.curve, self.marker)
        self.shown_until = None

    def point(self, k: float, v: float) -> np.ndarray:
        steps = len(self.values) - 1
        origin = self.x_axis.get_start()
        width = self.x_axis.get_length()
        height = self.y_axis.get_length()
        return origin + np.array([k / steps * width, min(v / self.y_max, 1.0) * height, 0.0])

    def show_until(self, k: int) -> None:
        pts = [self.point(i, self.values[i]) for i in range(k + 1)]
        if len(pts) == 1:
            pts = pts * 2
        self.curve.set_points_as_corners(pts)
        self.marker.move_to(pts[-1])
        self.shown_until = k


class TrainingCurves(VGroup):
    """Loss and accuracy against the step, side by side (a recorded run).

    `losses[k]` and `accuracies[k]` (fractions) belong to step k, k = 0..steps.
    `loss_panel` and `accuracy_panel` each have a `curve` drawn up to the
    step last shown (`shown_until`) and a `marker` on it.
    """

    def __init__(self, losses, accuracies, width: float = 6.6, height: float = 1.6,
                 gap: float = 0.9, font_size: int = 22):
        super().__init__()
        losses, accuracies = list(losses), list(accuracies)
        if len(losses) != len(accuracies) or len(losses) < 2:
            raise ValueError("TrainingCurves needs one loss and one accuracy per step, >= 2 steps")
        loss_max = max(losses)
        top = float(f"{loss_max:.2g}")
        top = top if top >= loss_max else float(f"{loss_max * 1.05:.2g}")
        panel_w = (width - gap) / 2
        self.loss_panel = _Panel(losses, "loss L", LOSS_COLOR, top, f"{top:g}",
                                 panel_w, height, font_size)
        self.accuracy_panel = _Panel(accuracies, "accuracy", ACCURACY_COLOR, 1.0, "100%",
                                     panel_w, height, font_size)
        self.add(self.loss_panel, self.accuracy_panel)
        self.arrange(RIGHT, buff=gap, aligned_edge=DOWN)
        self.show_until(0)

    @property
    def shown_until(self):
        return self.loss_panel.shown_until

    def show_until(self, k: int) -> "TrainingCurves":
        """Draw both curves from step 0 to step k (no animation)."""
        for panel in (self.loss_panel, self.accuracy_panel):
            panel.show_until(k)
        return self

    def trace(self, k0: int, k1: int, status: "TrainingStatus | None" = None,
              run_time: float = 2.0, rate_func=linear) -> Animation:
        """Run the curves (and `status`, if given) from step k0 to k1, one
        recorded step at a time. Both must be on screen."""
        curves = self

        lo, hi = min(k0, k1), max(k0, k1)

        def update(mob, alpha):
            k = min(max(int(round(k0 + alpha * (k1 - k0))), lo), hi)
            curves.show_until(k)
            if status is not None:
                status.set_step(k, curves.loss_panel.values[k], curves.accuracy_panel.values[k])

        return UpdateFromAlphaFunc(self, update, run_time=run_time, rate_func=rate_func)


class TrainingStatus(VGroup):
    """One line of running numbers: "step k   L = 0.123   accuracy 95%".

    `step_number`, `loss_number` and `accuracy_number` are DecimalNumbers
    (their `.number` is what they show: the step, the loss, the accuracy in
    percent); `shown` is (step, loss, accuracy fraction) as last set.
    """

    def __init__(self, font_size: int = 26, max_step: int = 999):
        super().__init__()
        digits = dict(font_size=font_size, text_config={"font": TEXT_FONT})
        # Laid out with the widest numbers they will show, so nothing moves later.
        self.step_word = text_label("step", GREY_A, font_size)
        self.step_number = Integer(max_step, **digits).set_color(WHITE)
        self.loss_word = text_label("loss L =", LOSS_COLOR, font_size)
        self.loss_number = DecimalNumber(8.888, num_decimal_places=3, **digits)
        self.loss_number.set_color(LOSS_COLOR)
        self.accuracy_word = text_label("accuracy", GREY_A, font_size)
        self.accuracy_number = DecimalNumber(100, num_decimal_places=0, **digits)
        self.accuracy_number.set_color(ACCURACY_COLOR)
        self.percent = text_label("%", ACCURACY_COLOR, font_size)
        self.parts = [VGroup(self.step_word, self.step_number),
                      VGroup(self.loss_word, self.loss_number),
                      VGroup(self.accuracy_word, self.accuracy_number, self.percent)]
        for part in self.parts:
            part.arrange(RIGHT, buff=0.12)
            # numbers sit on the word's baseline (its first glyph has no descender)
            for number in part[1:]:
                number.align_to(part[0][0], DOWN)
        self.add(*self.parts)
        self.arrange(RIGHT, buff=0.45)
        baseline = self.parts[0][0][0].get_bottom()[1]
        for part in self.parts[1:]:
            part.shift((baseline - part[0][0].get_bottom()[1]) * UP)
        self.shown = None
        self.set_step(0, 0.0, 0.0)

    def set_step(self, k: int, loss: float, accuracy: float) -> "TrainingStatus":
        """Show step k's numbers (no animation; the layout stays put)."""
        for number, value in ((self.step_number, k), (self.loss_number, loss),
                              (self.accuracy_number, 100.0 * accuracy)):
            number.set_value(value)  # keeps its left edge in place
        self.percent.next_to(self.accuracy_number, RIGHT, buff=0.05)
        self.percent.align_to(self.accuracy_number, DOWN)
        self.shown = (k, float(loss), float(accuracy))
        return self
