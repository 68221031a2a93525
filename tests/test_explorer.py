"""The explorer: the engine running in a web page, checked against the engine in Python.

One explorer folder is built for the module (src/publish/explorer.py), served
by a `http.server` on 127.0.0.1 with an ephemeral port, and opened once in
headless Chromium (Pyodide takes seconds to start). Every number the page
shows is read back from the page and compared with what src/autograd.py
computes here for the same graph, expression or training run; every request
the page makes must go to that server.
"""
from __future__ import annotations

import functools
import json
import math
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from src.data import train
from src.lesson.examples import lecture_loss
from src.lesson.explorer import EXAMPLES, NETWORK, TRAINING, article_example, respond
from src.lesson.expression import ExplainError, explain
from src.lesson.graph_text import format_number
from src.lesson.moons import moons
from src.models import MLP, mse
from src.publish.explorer import (
    PALETTE, PYODIDE_FILES, ExplorerError, build, pyodide_folder, python_sources,
)
from tests.chromium import Chromium, require_chromium

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("ops", "graph", "backprop", "network", "training", "yours")
BOOT_TIMEOUT = 180   # Pyodide's first start: ~5-15 s on two busy cores


def shown(x: float) -> str:
    """A number as the page writes it: the scenes' format, with a real minus sign."""
    return format_number(x).replace("-", "−")


# --------------------------------------------------------------------------
# Without a browser: what the page will load
# --------------------------------------------------------------------------

def test_the_page_loads_only_standard_library_python():
    """Pyodide has the standard library and nothing else: every shipped file
    imports only it and other shipped files."""
    files = python_sources()
    names = {p.with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__") for p in files}
    assert {"src.autograd", "src.models", "src.data", "src.lesson.explorer",
            "src.lesson.expression", "src.lesson.graph_layout", "src.lesson.moons"} <= names
    import ast
    for path in files:
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top == "src":
                    continue
                # src/data.py asks scikit-learn for the lecture's moons, lazily,
                # inside make_moons(); the explorer uses moons() instead.
                if top == "sklearn" and path.name == "data.py":
                    continue
                assert top in sys.stdlib_module_names, f"{path} imports {module}"


def test_moons_are_reproducible_and_shaped():
    X, y = moons(100, 0.1, 1)
    assert (X, y) == moons(100, 0.1, 1)
    assert X != moons(100, 0.1, 2)[0]
    assert len(X) == len(y) == 100 and y.count(1) == y.count(-1) == 50
    clean, labels = moons(20, 0.0, 0)
    for (a, b), t in zip(clean, labels):   # without noise: on the two half circles
        centre = (0.0, 0.0) if t == -1 else (1.0, 0.5)
        assert math.hypot(a - centre[0], b - centre[1]) == pytest.approx(1.0)
        assert (b >= -1e-12) if t == -1 else (b <= 0.5 + 1e-12)
    with pytest.raises(ValueError):
        moons(1)


def test_a_bad_expression_answers_with_the_parser_message():
    for text, values in (("x +", {}), ("foo(x)", {"x": 1}), ("__import__('os')", {}),
                         ("log(x)", {"x": -1}), ("x*y", {"x": 1})):
        with pytest.raises(ExplainError) as error:
            explain(text, values)
        answer = json.loads(respond(json.dumps({"kind": "expression",
                                                "args": {"text": text, "values": values}})))
        assert answer == {"error": str(error.value)}


def test_build_without_pyodide_is_one_clear_error(tmp_path):
    with pytest.raises(ExplorerError, match="npm ci"):
        build(tmp_path / "explorer", root=tmp_path)
    assert not (tmp_path / "explorer").exists()


def test_the_palette_is_the_scenes():
    from tests.manim_harness import import_manimlib
    import_manimlib()
    from manimlib.utils.color import color_to_hex

    from src.visualization import style
    scene = {"input": style.INPUT_COLOR, "parameter": style.PARAMETER_COLOR,
             "operation": style.OPERATION_COLOR, "activation": style.ACTIVATION_COLOR,
             "gradient": style.GRADIENT_COLOR, "output": style.LOSS_COLOR,
             "constant": style.CONSTANT_COLOR, "edge": style.EDGE_COLOR,
             "flow": style.FORWARD_FLOW_COLOR, "positive": style.POSITIVE_COLOR,
             "negative": style.NEGATIVE_COLOR, "note": style.NOTE_COLOR,
             "text": style.VALUE_TEXT_COLOR}
    for role, color in scene.items():
        assert PALETTE[role].upper() == color_to_hex(color).upper(), role


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_page_places_nodes_as_the_scenes_do(example):
    """ComputationGraph lays out with src/lesson/graph_layout.py too: its node
    centres are the page's positions, scaled to fit and centred."""
    from tests.manim_harness import import_manimlib
    import_manimlib()
    from src.lesson.explorer import graph_json
    from src.visualization.graph import ComputationGraph

    root = EXAMPLES[example][1]()[0]
    drawn = ComputationGraph(root)
    page = {n["id"]: (n["x"], n["y"]) for n in graph_json(root)["nodes"]}
    centres = {}
    for i, value in enumerate(drawn.order):
        centres[f"v{i}"] = drawn.node(value).shape.get_center()[:2]
        if not value.is_leaf:
            centres[f"o{i}"] = drawn.op_node(value).shape.get_center()[:2]
    assert set(centres) == set(page)
    ids = sorted(page)
    xs = [page[i][0] for i in ids]
    scale = (max(centres[i][0] for i in ids) - min(centres[i][0] for i in ids)) / (max(xs) - min(xs))
    shift = [centres[ids[0]][k] - scale * page[ids[0]][k] for k in (0, 1)]
    for i in ids:
        for k in (0, 1):
            assert centres[i][k] == pytest.approx(scale * page[i][k] + shift[k], abs=1e-9), (i, k)


# --------------------------------------------------------------------------
# In the browser
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The explorer built into a scratch folder and served on 127.0.0.1."""
    try:
        pyodide_folder()
    except ExplorerError as error:
        pytest.skip(str(error))
    folder = build(tmp_path_factory.mktemp("site") / "explorer")

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(site):
    require_chromium()
    origin, _ = site
    with Chromium(width=1280, height=720, timeout=60) as browser:
        browser.call("Network.enable", session=True)
        browser.open(f"{origin}/index.html")
        boot = browser.evaluate("explorer.ready", timeout=BOOT_TIMEOUT)
        assert boot["python"].startswith("3."), boot
        browser.boot = boot
        yield browser


def go(page, section: str) -> None:
    page.evaluate(f"location.hash = '{section}'")
    assert page.evaluate(f"document.getElementById('{section}').classList.contains('current')")


def click(page, selector: str) -> None:
    page.click(selector)


def node_grads(page, svg: str) -> dict:
    """{node id: (gradient text, gradient)} of every value node showing a gradient."""
    return page.evaluate(f"""Object.fromEntries([...document.querySelectorAll('#{svg} .node')]
        .map(g => [g.dataset.id, g.querySelector('.grad')])
        .filter(([id, t]) => t && t.hasAttribute('data-grad'))
        .map(([id, t]) => [id, [t.textContent, Number(t.getAttribute('data-grad'))]]))""")


def node_values(page, svg: str) -> dict:
    return page.evaluate(f"""Object.fromEntries([...document.querySelectorAll('#{svg} .node:not(.hidden)')]
        .map(g => [g.dataset.id, g.querySelector('.value')])
        .filter(([id, t]) => t && !t.classList.contains('hidden'))
        .map(([id, t]) => [id, [t.textContent, Number(t.getAttribute('data-value'))]]))""")


def test_every_section_loads(page):
    assert page.evaluate("document.body.classList.contains('booting')") is False
    assert "Engine ready" in page.evaluate("document.getElementById('status').textContent")
    for section in SECTIONS:
        go(page, section)
        drawn = page.evaluate(f"""(() => {{
            const s = document.getElementById('{section}');
            const canvas = s.querySelector('canvas');
            if (canvas) return canvas.width * canvas.height > 0 ? 1 : 0;
            return s.querySelectorAll('.stage .node').length; }})()""")
        assert drawn > 0, section
        assert page.evaluate(f"document.querySelector('#{section} .error') ? "
                             f"document.querySelector('#{section} .error').textContent : ''") == ""
    page.screenshot(Path("/tmp/explorer_last_section.png"))
    assert not [c for c in page.console if c.startswith(("error", "exception"))], page.console


def test_operations_show_the_engine_local_derivatives(page):
    go(page, "ops")
    labels = page.evaluate("[...document.querySelectorAll('#ops-buttons button')].map(b => b.textContent)")
    assert {"a * b", "a / b", "tanh(a)", "relu(a)", "exp(a)"} <= set(labels)
    catalog = json.loads(respond(json.dumps({"kind": "catalog"})))["operations"]
    for index, label in enumerate(labels):
        click(page, f"#ops-buttons button:nth-child({index + 1})")
        values = {"a": float(page.evaluate("document.getElementById('ops-a').value"))}
        if "b" in catalog[index]["values"]:
            values["b"] = float(page.evaluate("document.getElementById('ops-b').value"))
        step = explain(label, values).steps[0]   # the output's visit: its local derivatives
        grads = node_grads(page, "ops-svg")
        leaves = {n["name"]: n["id"] for n in json.loads(respond(json.dumps(
            {"kind": "expression", "args": {"text": label, "values": values}})))["nodes"]
            if n["kind"] == "value"}
        for contribution in step.contributions:
            if contribution.input.label:
                text, value = grads[leaves[contribution.input.label]]
                assert value == contribution.local and text == shown(contribution.local), label


def test_the_graph_builds_one_operation_per_key(page):
    go(page, "graph")
    click(page, '.examples[data-for="graph"] [data-example="lecture"]')
    L, _ = lecture_loss()
    operations = [v for v in L.topological_order() if not v.is_leaf]
    page.evaluate("document.activeElement.blur()")
    visible = []
    for _ in range(len(operations) + 1):
        visible.append(len(node_values(page, "graph-svg")))
        page.press("ArrowRight")
    # three leaves, then one more value per operation; the last one is L = 6.25
    assert visible == [3, 4, 5, 6]
    values = sorted(v for _, v in node_values(page, "graph-svg").values())
    assert values == sorted(v.data for v in L.topological_order())
    page.press("ArrowLeft")
    assert len(node_values(page, "graph-svg")) == 5
    click(page, "#graph-path")   # lights the forward path, edge by edge
    page.evaluate("new Promise(r => setTimeout(r, 1500))")
    assert page.evaluate("document.querySelectorAll('#graph-svg .edge.flow').length") == \
        sum(len(v.inputs) + 1 for v in operations)


@pytest.mark.parametrize("example", ["lecture", "article"])
def test_backward_steps_show_the_engine_numbers_node_by_node(page, example):
    go(page, "backprop")
    click(page, f'.examples[data-for="backprop"] [data-example="{example}"]')
    click(page, "#backprop-forward")
    root = {"lecture": lambda: lecture_loss()[0], "article": lambda: article_example()[0]}[example]()
    order = root.topological_order()
    ident = {v: f"v{i}" for i, v in enumerate(order)}
    values = node_values(page, "backprop-svg")
    assert {ident[v]: (shown(v.data), v.data) for v in order} == \
        {k: tuple(v) for k, v in values.items()}
    assert node_grads(page, "backprop-svg") == {}
    totals, upstream, texts = {}, {}, []
    for step in root.backward_steps():   # one node per click, in the engine's order
        click(page, "#backprop-step")
        upstream[ident[step.node]] = step.upstream
        for c in step.contributions:
            totals[ident[c.input]] = totals.get(ident[c.input], 0.0) + c.added
        # visited nodes show their complete gradient, others what reached them so far
        expected = {**totals, **upstream}
        grads = node_grads(page, "backprop-svg")
        assert {k: v[1] for k, v in grads.items()} == expected, step.node
        assert all(text == shown(value) for text, value in grads.values())
        active = page.evaluate("document.querySelector('#backprop-svg .node.active').dataset.id")
        assert active == ident[step.node]
        texts.append(page.evaluate("document.getElementById('backprop-info').textContent"))
    # the end: every gradient as backward() leaves it
    root.backward()
    assert {k: v[1] for k, v in node_grads(page, "backprop-svg").items()} == \
        {ident[v]: v.grad for v in order}
    # a is used twice in the article's f: the page shows its two shares summed
    assert any("accumulates" in t for t in texts) == (example == "article")


def test_a_typed_expression_renders_and_a_bad_one_shows_the_parser_message(page):
    go(page, "yours")

    def submit(text, values):
        page.evaluate(f"""document.getElementById('yours-expr').value = {json.dumps(text)};
                          document.getElementById('yours-values').value = {json.dumps(values)};""")
        click(page, "#yours-form button")

    submit("x*x + x", "x=3")
    explanation = explain("x*x + x", "x=3")
    values = node_values(page, "yours-svg")
    root_id = f"v{len(explanation.root.topological_order()) - 1}"
    assert values[root_id] == ["12", 12.0]
    page.evaluate("document.activeElement.blur()")
    for _ in explanation.steps:
        page.press("ArrowRight")
    grads = node_grads(page, "yours-svg")
    assert grads["v0"] == [shown(explanation.gradients["x"]), explanation.gradients["x"]] == ["7", 7.0]
    assert page.evaluate("document.getElementById('yours-error').textContent") == ""

    for text, values in (("foo(x)", "x=1"), ("x +", ""), ("x*w", "x=2"), ("log(x)", "x=-1"),
                         ("__import__('os').system('true')", "")):
        with pytest.raises(ExplainError) as error:
            explain(text, values)
        submit(text, values)
        message = page.evaluate("document.getElementById('yours-error').textContent")
        assert message == f"error: {error.value}", text
        assert "\n" not in message
    # the last good graph stays drawn
    assert node_values(page, "yours-svg")[root_id] == ["12", 12.0]


def test_the_network_shows_every_weight_and_its_gradient(page):
    go(page, "network")
    click(page, '#network-views [data-view="mlp"]')
    model = MLP(2, [3, 1], NETWORK["activation"], seed=NETWORK["seed"])
    from src.autograd import Value
    inputs = [Value(v, f"x{i}") for i, v in enumerate(NETWORK["inputs"])]
    loss = mse(model(inputs), NETWORK["target"])
    loss.backward()
    edges = page.evaluate("""[...document.querySelectorAll('#network-svg .edge-info')].map(g => [g.dataset.id,
        g.querySelector('.weight').textContent, Number(g.querySelector('.weight').dataset.value),
        g.querySelector('.grad').textContent, Number(g.querySelector('.grad').dataset.grad)])""")
    weights = {w.label: w for layer in model.layers for n in layer.neurons for w in n.w}
    assert sorted(e[0] for e in edges) == sorted(weights)
    for label, w_text, w, g_text, g in edges:
        assert (w, g) == (weights[label].data, weights[label].grad)
        assert (w_text, g_text) == (shown(weights[label].data), shown(weights[label].grad))
    assert page.evaluate("Number(document.querySelector('#network-svg [data-id=\"L\"] .value').dataset.value)") \
        == loss.data
    click(page, '#network-views [data-view="neuron"]')
    assert page.evaluate("document.querySelectorAll('#network-svg .edge-label.grad').length") > 0


def test_training_gives_the_engine_losses_for_the_same_seed(page):
    go(page, "training")
    click(page, "#train-reset")
    page.evaluate("document.activeElement.blur()")
    steps = 6
    for _ in range(steps):
        page.press("ArrowRight")
    losses = page.evaluate("explorer.sections.training.state().losses")
    X, y = moons(TRAINING["n"], TRAINING["noise"], TRAINING["data_seed"])
    model = MLP(2, TRAINING["sizes"], TRAINING["activation"], seed=TRAINING["model_seed"])
    history = train(model, X, y, TRAINING["loss"], steps=steps, lr=TRAINING["lr"])
    # The same Python code on two builds of CPython (glibc's and musl's maths
    # library): equal to the last bits or within a rounding error of them.
    assert losses == pytest.approx(history.loss, rel=1e-12, abs=0)
    shown_loss = page.evaluate("document.querySelector('[data-loss]').dataset.loss")
    assert float(shown_loss) == losses[-1]
    # a larger learning rate from here on: the page passes it to the engine
    page.evaluate("document.getElementById('train-lr').value = '0.5'")
    click(page, "#train-step")
    history2 = train(model, X, y, TRAINING["loss"], steps=1, lr=0.5)
    assert page.evaluate("explorer.sections.training.state().losses")[-1] == \
        pytest.approx(history2.loss[0], rel=1e-12, abs=0)
    click(page, "#train-run")   # run, then pause
    page.evaluate("new Promise(r => setTimeout(r, 600))")
    click(page, "#train-run")
    state = page.evaluate("explorer.sections.training.state()")
    assert state["running"] is False and len(state["losses"]) > steps + 1


def test_no_request_leaves_the_local_server(page, site):
    origin, folder = site
    requests = [e["params"]["request"]["url"] for e in page.events
                if e["method"] == "Network.requestWillBeSent"]
    assert requests, "no network events recorded"
    outside = [u for u in requests if not u.startswith(origin + "/") and not u.startswith(("data:", "blob:"))]
    assert not outside, outside
    failed = [(e["params"]["response"]["url"], e["params"]["response"]["status"]) for e in page.events
              if e["method"] == "Network.responseReceived" and e["params"]["response"]["status"] >= 400]
    assert not failed, failed
    # everything Pyodide fetched is a file we shipped
    fetched = {u[len(origin) + 1:].split("?")[0] for u in requests if u.startswith(origin)}
    assert {f"pyodide/{name}" for name in PYODIDE_FILES} - {"pyodide/pyodide-lock.json"} <= fetched


def test_opened_from_disk_it_says_how_to_serve_it(page, site):
    """Last: navigates away. From file:// the page names the one command."""
    _, folder = site
    page.open((folder / "index.html").as_uri())
    message = page.evaluate("new Promise(r => setTimeout(() => r(document.getElementById('boot').textContent), 500))")
    assert "python3 -m http.server" in message
