"""One training run of the moons model, recorded step by step (no manim).

Scene 6 (`MLPAutogradScene`) animates a real training run. Training live
while rendering would tie the picture to the render loop, so the run is done
once, up front, and every state the scene draws is read from the record:

    >>> run = record_training()                    # MOONS_SETTINGS, cached
    >>> run.loss_at(0), run.accuracy_at(0)         # step 0's loss, accuracy
    >>> model = run.model_at(1)                    # the MLP as step 1 began
    >>> run.point_pass(1, 17).score                # its forward pass on point 17
    >>> xs, ys, scores = run.grid_at(1, (-1.5, 2.5), (-1, 1.5), (40, 25))

Semantics are exactly those of `src.data.train` (it *is* `train`, with a
callback that copies the parameters and gradients out): full-batch gradient
descent; step k runs the forward pass over all points with the parameters
`params[k]`, computes the mean hinge loss `history.loss[k]`, back-propagates
into `grads[k]` and updates, giving `params[k + 1]`. So for every k < steps:

    params[k + 1][i] == params[k][i] - lr * grads[k][i]      (exactly, in floats)

"The model of step k" is the model with `params[k]`; `params[steps]` is the
trained model (its loss and accuracy are computed by one more forward pass).
Parameters are in `MLP.parameters()` order (see src/models.py), labelled
`labels[i]`, e.g. "L1.n2.w0".
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from functools import lru_cache

from src.autograd import no_grad
from src.data import MOONS_SETTINGS, History, accuracy, evaluate_grid, make_moons, train
from src.models import MLP, hinge, mse

__all__ = ["TrainingRecord", "PointPass", "record_training", "RUN_KEYS"]

#: The settings a run is made from (the keys of MOONS_SETTINGS).
RUN_KEYS = ("n", "noise", "data_seed", "model_seed", "sizes", "activation",
            "loss", "steps", "lr")


@dataclass(frozen=True)
class PointPass:
    """One data point's forward pass through the model of one step.

    `activations[0]` is the input, `activations[k]` the outputs of layer k
    (after tanh), `activations[-1] == [score]`. `term` is this point's term
    of the loss (hinge: `max(0, 1 - label * score)`), computed by the engine.
    """
    step: int
    index: int
    x: tuple
    label: int
    activations: tuple
    score: float
    term: float

    @property
    def predicted(self) -> int:
        """The class the model gives the point: +1 if score > 0, else -1."""
        return 1 if self.score > 0 else -1


@dataclass
class TrainingRecord:
    """Everything one training run went through (see the module docstring)."""
    settings: dict
    X: list
    y: list
    labels: list
    params: list           # steps + 1 tuples of floats
    grads: list            # steps tuples of floats
    history: History
    _grids: dict = field(default_factory=dict, repr=False)
    _scores: dict = field(default_factory=dict, repr=False)

    # ---- sizes ----

    @property
    def steps(self) -> int:
        return len(self.grads)

    @property
    def lr(self) -> float:
        return float(self.settings["lr"])

    def _check_step(self, k: int, last: int | None = None) -> int:
        last = self.steps if last is None else last
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= last:
            raise ValueError(f"step must be an int in 0..{last}, got {k!r}")
        return int(k)

    # ---- models ----

    def model_at(self, k: int, with_grad: bool = True) -> MLP:
        """A fresh MLP holding the parameters step k began with.

        With `with_grad` (and k < steps) every parameter's `.grad` holds the
        gradient step k computed; otherwise the grads are 0.
        """
        k = self._check_step(k)
        s = self.settings
        model = MLP(2, s["sizes"], activation=s["activation"], seed=s["model_seed"])
        grads = self.grads[k] if (with_grad and k < self.steps) else None
        for i, p in enumerate(model.parameters()):
            p.data = self.params[k][i]
            p.grad = grads[i] if grads is not None else 0.0
        return model

    def parameter_index(self, label: str) -> int:
        """Position of the parameter labelled `label` (e.g. "L2.n0.w3")."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise KeyError(f"no parameter labelled {label!r}; labels are {self.labels}") from None

    def weight_labels(self) -> list:
        """Labels of the weights (not biases), in NetworkDiagram edge order."""
        return [label for label in self.labels if not label.endswith(".b")]

    def weights_at(self, k: int) -> list:
        """Step k's weights in edge order (layer, neuron, input)."""
        k = self._check_step(k)
        return [self.params[k][self.labels.index(lab)] for lab in self.weight_labels()]

    def weight_grads_at(self, k: int) -> list:
        """Step k's weight gradients in edge order."""
        k = self._check_step(k, self.steps - 1)
        return [self.grads[k][self.labels.index(lab)] for lab in self.weight_labels()]

    # ---- what each model does on the data ----

    def scores_at(self, k: int) -> list:
        """The scores of step k's model on every data point (floats)."""
        k = self._check_step(k)
        if k not in self._scores:
            model = self.model_at(k, with_grad=False)
            with no_grad():
                self._scores[k] = [model(x).data for x in self.X]
        return list(self._scores[k])

    def predictions_at(self, k: int) -> list:
        """Predicted class (+1 if score > 0, else -1) of every point at step k."""
        return [1 if s > 0 else -1 for s in self.scores_at(k)]

    def loss_at(self, k: int) -> float:
        """Step k's full-batch loss (history.loss[k]; for k == steps, the
        trained model's loss, computed the way `train` computes it)."""
        k = self._check_step(k)
        if k < self.steps:
            return self.history.loss[k]
        model = self.model_at(k, with_grad=False)
        scores = [model(x) for x in self.X]
        if self.settings["loss"] == "hinge":
            return hinge(scores, self.y).data
        return mse(scores, self.y).data

    def accuracy_at(self, k: int) -> float:
        """Training accuracy of step k's model (history.accuracy[k] for k < steps)."""
        k = self._check_step(k)
        if k < self.steps:
            return self.history.accuracy[k]
        return accuracy(self.scores_at(k), self.y)

    def point_pass(self, k: int, index: int) -> PointPass:
        """Point `index`'s forward pass through step k's model, by the engine."""
        k = self._check_step(k)
        if not 0 <= index < len(self.X):
            raise ValueError(f"point index must be in 0..{len(self.X) - 1}, got {index!r}")
        model = self.model_at(k, with_grad=False)
        score = model(self.X[index])
        acts = tuple(tuple(v.data for v in layer) for layer in model.activations)
        term = hinge([score], [self.y[index]], reduction="sum").data
        return PointPass(step=k, index=index, x=tuple(self.X[index]), label=self.y[index],
                         activations=acts, score=score.data, term=term)

    def grid_at(self, k: int, x_range, y_range, resolution):
        """`evaluate_grid` of step k's model (cached per arguments)."""
        k = self._check_step(k)
        if not isinstance(resolution, numbers.Integral):
            resolution = tuple(resolution)
        key = (k, tuple(x_range), tuple(y_range), resolution)
        if key not in self._grids:
            self._grids[key] = evaluate_grid(self.model_at(k, with_grad=False),
                                             x_range, y_range, resolution)
        return self._grids[key]

    def max_abs_weight(self) -> float:
        """Largest |weight| over the whole run (a fixed scale for edge colours)."""
        return max(abs(w) for k in range(self.steps + 1) for w in self.weights_at(k))

    # ---- what a lecture walks through ----

    def walkthrough(self, shown_steps, point_indices=None) -> list:
        """[(step, point index), ...]: the steps shown one by one, each with
        the data point it follows. Without `point_indices` the points
        alternate between the classes (+1 first), each the one with the
        largest 1 - y*s at its step. Bad choices raise ValueError."""
        steps = list(shown_steps)
        if not steps or sorted(steps) != steps:
            raise ValueError(f"shown_steps must be increasing, got {shown_steps}")
        if steps[-1] + 1 > self.steps:
            raise ValueError(f"shown_steps must be below steps={self.steps}")
        for k in steps:
            self._check_step(k, self.steps - 1)
        if steps != list(range(steps[0], steps[-1] + 1)):
            raise ValueError("shown_steps must be consecutive: each update leads to the next step")
        if point_indices is not None and len(point_indices) != len(steps):
            raise ValueError("point_indices needs one point per shown step")
        pairs = []
        for n, k in enumerate(steps):
            if point_indices is not None:
                pairs.append((k, point_indices[n]))
                continue
            want, scores = (1 if n % 2 == 0 else -1), self.scores_at(k)
            candidates = [i for i, t in enumerate(self.y) if t == want] or list(range(len(self.y)))
            pairs.append((k, max(candidates, key=lambda i: (1 - self.y[i] * scores[i], -i))))
        return pairs

    def largest_gradient_weight(self, k: int) -> str:
        """The label of the weight with the largest |gradient| at step k."""
        grads = self.weight_grads_at(k)
        return self.weight_labels()[max(range(len(grads)), key=lambda i: abs(grads[i]))]


def _settings(overrides: dict) -> dict:
    unknown = set(overrides) - set(RUN_KEYS)
    if unknown:
        raise ValueError(f"unknown training settings {sorted(unknown)}; expected some of {RUN_KEYS}")
    settings = {key: MOONS_SETTINGS[key] for key in RUN_KEYS}
    settings.update(overrides)
    settings["sizes"] = tuple(settings["sizes"])
    return settings


def record_training(**overrides) -> TrainingRecord:
    """Train once (MOONS_SETTINGS, with any of RUN_KEYS overridden) and record
    every step. Cached: the same settings return the same record object."""
    settings = _settings(overrides)
    return _record(tuple(settings[key] for key in RUN_KEYS))


@lru_cache(maxsize=16)
def _record(key: tuple) -> TrainingRecord:
    settings = dict(zip(RUN_KEYS, key))
    X, y = make_moons(settings["n"], settings["noise"], settings["data_seed"])
    model = MLP(2, list(settings["sizes"]), activation=settings["activation"],
                seed=settings["model_seed"])
    labels = [p.label for p in model.parameters()]
    params = [tuple(p.data for p in model.parameters())]
    grads = []

    def snapshot(step, trained, loss_value):
        # Called after step `step`'s update: .grad still holds its gradient.
        ps = trained.parameters()
        grads.append(tuple(p.grad for p in ps))
        params.append(tuple(p.data for p in ps))

    history = train(model, X, y, loss=settings["loss"], steps=settings["steps"],
                    lr=settings["lr"], callback=snapshot)
    settings["sizes"] = list(settings["sizes"])
    return TrainingRecord(settings=settings, X=X, y=y, labels=labels, params=params,
                          grads=grads, history=history)
