// The explorer's page: draws what the engine answers and handles input.
//
// Every number comes from Python: Pyodide runs the lecture's own modules
// (src/autograd.py, src/lesson/explorer.py, ...), loaded from py/ as they are
// in the repository, and src.lesson.explorer.respond() answers each request
// with JSON, numbers already formatted as the scenes format them. This file
// does no arithmetic on them: it places, colours and steps through them.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

// ---------------------------------------------------------------- the engine

let api = null;   // src.lesson.explorer, inside Pyodide

function ask(kind, args = {}) {
  return JSON.parse(api.respond(JSON.stringify({ kind, args })));
}

async function boot() {
  const started = performance.now();
  const manifest = await (await fetch("py/manifest.json")).json();
  const py = await loadPyodide({ indexURL: new URL("pyodide/", location.href).href });
  const root = "/home/pyodide/explorer";
  for (const file of manifest.files) {
    const text = await (await fetch("py/" + file)).text();
    py.FS.mkdirTree((root + "/" + file).replace(/\/[^/]*$/, ""));
    py.FS.writeFile(root + "/" + file, text);
  }
  py.runPython(`import sys; sys.path.insert(0, "${root}")`);
  api = py.pyimport("src.lesson.explorer");
  return { seconds: (performance.now() - started) / 1000, python: py.runPython("import sys; sys.version.split()[0]") };
}

// ---------------------------------------------------------------- drawing helpers

function svgEl(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

function htmlEl(tag, attrs = {}, parent = null, text = null) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text !== null) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

const ROLE_VAR = { input: "--input", parameter: "--parameter", constant: "--constant",
                   activation: "--activation", output: "--output", operation: "--operation" };
const RADIUS = 0.42;                       // ComputationNode.RADIUS
const DIAMOND = 0.7 / Math.SQRT2;          // half the diagonal of a DIAMOND_SIDE square

// The minus sign the scenes typeset, for text the engine formatted as "-1.5".
const minus = (text) => String(text).replace(/-/g, "−");

function boundary(node, dx, dy) {
  const len = Math.hypot(dx, dy) || 1, ux = dx / len, uy = dy / len;
  const r = node.kind === "op" ? DIAMOND / (Math.abs(ux) + Math.abs(uy)) : RADIUS;
  return [node.x + ux * r, node.y + uy * r];
}

function arrowMarker(svg) {
  const defs = svgEl("defs", {}, svg);
  for (const [id, color] of [["arrow", css("--edge")], ["arrow-flow", css("--flow")], ["arrow-back", css("--gradient")]]) {
    const marker = svgEl("marker", { id: `${svg.id}-${id}`, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "0.26", markerHeight: "0.26", markerUnits: "userSpaceOnUse", orient: "auto" }, defs);
    svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: color }, marker);
  }
}

// At least MIN_VIEW units across and down, so a two-node graph is drawn at the
// size a big one would be, not blown up to fill the screen.
const MIN_VIEW = [11, 6.5];

function fitViewBox(svg, xs, ys, margin) {
  let minX = Math.min(...xs) - margin, maxX = Math.max(...xs) + margin;
  let minY = Math.min(...ys) - margin, maxY = Math.max(...ys) + margin;
  const padX = Math.max(0, MIN_VIEW[0] - (maxX - minX)) / 2, padY = Math.max(0, MIN_VIEW[1] - (maxY - minY)) / 2;
  minX -= padX; maxX += padX; minY -= padY; maxY += padY;
  svg.setAttribute("viewBox", `${minX} ${-maxY} ${maxX - minX} ${maxY - minY}`);
}

// A computation graph, drawn once; `show(state)` changes what is visible and lit.
class GraphView {
  // edgeLabels(edge, source, target) -> whether the edge gets its own numbers
  constructor(svg, graph, { edgeLabels = null, onNodeClick = null } = {}) {
    this.svg = svg;
    this.graph = graph;
    svg.replaceChildren();
    arrowMarker(svg);
    const nodes = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    this.nodes = nodes;
    fitViewBox(svg, graph.nodes.map((n) => n.x), graph.nodes.map((n) => n.y), 1.05);
    this.edgeEls = {};
    this.nodeEls = {};
    const edgeLayer = svgEl("g", {}, svg);
    for (const edge of graph.edges) {
      const s = nodes[edge.source], t = nodes[edge.target];
      const [x1, y1] = boundary(s, t.x - s.x, t.y - s.y);
      const [x2, y2] = boundary(t, s.x - t.x, s.y - t.y);
      let d = `M${x1},${-y1} L${x2},${-y2}`;
      let mid = [(x1 + x2) / 2, (y1 + y2) / 2];
      if (edge.bend) {   // the second edge of a value used twice by one operation
        const cx = mid[0] - (y2 - y1) * edge.bend * 0.5, cy = mid[1] + (x2 - x1) * edge.bend * 0.5;
        d = `M${x1},${-y1} Q${cx},${-cy} ${x2},${-y2}`;
        mid = [(x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4];
      }
      const g = svgEl("g", { "data-id": edge.id }, edgeLayer);
      const path = svgEl("path", { d, class: "edge", "marker-end": `url(#${svg.id}-arrow)` }, g);
      const el = { g, path, mid };
      if (edgeLabels && edgeLabels(edge, s, t)) {   // the value that flows in, the share of the gradient that flows back
        el.value = svgEl("text", { x: mid[0], y: -mid[1] - 0.2, class: "edge-label" }, g, minus(edge.text));
        el.grad = svgEl("text", { x: mid[0], y: -mid[1] + 0.22, class: "edge-label grad" }, g, "");
      }
      this.edgeEls[edge.id] = el;
    }
    const nodeLayer = svgEl("g", {}, svg);
    for (const node of graph.nodes) {
      const g = svgEl("g", { class: "node", "data-id": node.id, transform: `translate(${node.x},${-node.y})` }, nodeLayer);
      const color = css(ROLE_VAR[node.kind === "op" ? "operation" : node.role]);
      const el = { g };
      if (node.kind === "op") {
        const r = DIAMOND;
        el.shape = svgEl("polygon", { points: `0,${-r} ${r},0 0,${r} ${-r},0`, class: "shape",
          stroke: color, fill: color, "fill-opacity": 0.25 }, g);
        svgEl("text", { class: "symbol" }, g, node.symbol);
      } else {
        el.shape = svgEl("circle", { r: RADIUS, class: "shape", stroke: color, fill: color, "fill-opacity": 0.35 }, g);
        svgEl("text", { class: "name" }, g, node.name);
        el.value = svgEl("text", { class: "number value", y: -RADIUS - 0.26, "data-value": node.value }, g, minus(node.text));
        el.grad = svgEl("text", { class: "number grad", y: RADIUS + 0.28 }, g, "");
        svgEl("title", {}, g, `${node.name} = ${node.value}`);
      }
      if (onNodeClick) {
        g.classList.add("clickable");
        g.addEventListener("click", () => onNodeClick(node.id));
      }
      this.nodeEls[node.id] = el;
    }
  }

  // state: {visible: Set|null, values: Set|null, grads: {id: {value, text, partial}},
  //         edgeGrads: {edgeId: text}, active: Set, flow: Set, back: Set}
  show(state) {
    const visible = state.visible || null, values = state.values || null;
    for (const [id, el] of Object.entries(this.nodeEls)) {
      el.g.classList.toggle("hidden", visible !== null && !visible.has(id));
      el.g.classList.toggle("active", !!(state.active && state.active.has(id)));
      if (el.value) el.value.classList.toggle("hidden", values !== null && !values.has(id));
      if (el.grad) {
        const grad = state.grads && state.grads[id];
        el.grad.textContent = grad ? minus(grad.text) : "";
        if (grad) el.grad.setAttribute("data-grad", grad.value); else el.grad.removeAttribute("data-grad");
        el.g.classList.toggle("partial", !!(grad && grad.partial));
      }
    }
    for (const edge of this.graph.edges) {
      const el = this.edgeEls[edge.id];
      const shown = visible === null || (visible.has(edge.source) && visible.has(edge.target));
      el.g.classList.toggle("hidden", !shown);
      const kind = state.back && state.back.has(edge.id) ? "back" : state.flow && state.flow.has(edge.id) ? "flow" : "";
      el.path.setAttribute("class", `edge ${kind}`);
      el.path.setAttribute("marker-end", `url(#${this.svg.id}-arrow${kind ? "-" + kind : ""})`);
      if (el.grad) el.grad.textContent = state.edgeGrads && state.edgeGrads[edge.id] ? minus(state.edgeGrads[edge.id]) : "";
    }
  }
}

// The edges that computed `id`: every edge on a path from a leaf to it.
function pathTo(graph, id) {
  const into = {};
  for (const e of graph.edges) (into[e.target] ||= []).push(e);
  const edges = new Set(), nodes = new Set([id]), todo = [id];
  while (todo.length) {
    for (const e of into[todo.pop()] || []) {
      edges.add(e.id);
      if (!nodes.has(e.source)) { nodes.add(e.source); todo.push(e.source); }
    }
  }
  return { edges, nodes };
}

function line(parent, html, cls = "line") {
  const el = htmlEl("div", { class: cls }, parent);
  el.innerHTML = html;
  return el;
}

const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
const num = (n) => esc(minus(n.text));
const factor = (n) => (n.text.startsWith("-") ? `(${num(n)})` : num(n));

// ---------------------------------------------------------------- a graph stepped through
//
// Step 0 shows the leaves and their values; steps 1..F run the forward pass one
// operation at a time; with `backward`, steps F+1..F+B visit one node each in
// the engine's backward order, showing its chain-rule products.

class Stepper {
  constructor(svg, info, code, { backward = true, edgeLabels = null } = {}) {
    Object.assign(this, { svg, info, code, backward, edgeLabels });
    this.graph = null;
    this.index = 0;
    this.flow = new Set();
  }

  load(graph) {
    this.graph = graph;
    this.view = new GraphView(this.svg, graph, { edgeLabels: this.edgeLabels,
                                                 onNodeClick: (id) => this.highlight(id) });
    this.index = 0;
    this.flow = new Set();
    this.render();
  }

  get last() { return this.graph.forward.length + (this.backward ? this.graph.backward.length : 0); }
  go(index) { this.index = Math.max(0, Math.min(this.last, index)); this.flow = new Set(); this.render(); }
  next() { this.go(this.index + 1); }
  prev() { this.go(this.index - 1); }
  highlight(id) { this.flow = pathTo(this.graph, id).edges; this.render(); }

  render() {
    const g = this.graph, F = g.forward.length, k = this.index;
    const visible = new Set(), values = new Set(), active = new Set();
    for (const n of g.nodes) if (n.kind === "value" && !g.forward.some((f) => f.value === n.id)) { visible.add(n.id); values.add(n.id); }
    const ran = g.forward.slice(0, Math.min(k, F));
    for (const f of ran) { visible.add(f.op); visible.add(f.value); values.add(f.value); }
    const grads = {}, back = new Set(), edgeGrads = {};
    const visits = this.backward ? g.backward.slice(0, Math.max(0, k - F)) : [];
    for (const step of visits) {
      grads[step.node] = { ...step.upstream, partial: false };
      for (const c of step.contributions) {
        grads[c.input] = { ...c.total, partial: true };
        edgeGrads[c.edge] = c.added.text;
      }
    }
    for (const step of visits) grads[step.node].partial = false;
    const flow = new Set(this.flow);
    if (k >= 1 && k <= F) { const f = g.forward[k - 1]; active.add(f.op); active.add(f.value); f.edges.forEach((e) => flow.add(e)); }
    if (visits.length) {
      const step = visits[visits.length - 1];
      active.add(step.node);
      for (const c of step.contributions) back.add(c.edge);
    }
    this.view.show({ visible, values, grads, edgeGrads, active, flow, back });
    this.describe(ran, visits);
  }

  describe(ran, visits) {
    const g = this.graph, F = g.forward.length, k = this.index;
    this.info.replaceChildren();
    if (k === 0) {
      line(this.info, `The leaves hold their values. Press → to run the first operation (${F} in all).`, "line head");
    } else if (k <= F) {
      const f = g.forward[k - 1];
      line(this.info, `Forward, operation ${k} of ${F}:`, "line head");
      line(this.info, `${esc(f.code)}`);
      line(this.info, `<span class="flow">${esc(minus(f.numbers))}</span>`);
      if (k === F && this.backward) line(this.info, "The forward pass is done. → starts the backward pass at the output.", "line head");
    } else {
      const step = visits[visits.length - 1], B = g.backward.length;
      line(this.info, `Backward, node ${visits.length} of ${B}: ${esc(step.name)}`, "line head");
      if (step.seed) line(this.info, `seed: ${esc(step.gradient)} = <span class="grad">1</span>`);
      else line(this.info, `${esc(step.gradient)} = <span class="grad">${num(step.upstream)}</span> (complete: every use of ${esc(step.name)} has sent its share)`);
      if (step.leaf) line(this.info, `${esc(step.name)} is a leaf: its gradient is final.`, "line head");
      for (const c of step.contributions) {
        const grad = `∂${esc(g.root_name)}/∂${esc(c.name)}`;
        line(this.info, `${grad} ${c.before ? "+=" : "="} ${esc(c.rule)} · ${esc(step.gradient)}`);
        line(this.info, `&nbsp;&nbsp;= ${factor(c.local)} × ${factor(step.upstream)} = <span class="grad">${num(c.added)}</span>`);
        if (c.before) line(this.info, `&nbsp;&nbsp;<span class="sum">accumulates: ${num(c.before)} + ${factor(c.added)} = ${num(c.total)}</span>`);
      }
      if (visits.length === B) line(this.info, "Done: every node holds its gradient.", "line head");
    }
    this.drawCode(visits);
  }

  // The phase's code: forward lines while the forward pass runs, then the
  // backward lines (one per chain-rule product), the current one lit.
  drawCode(visits) {
    if (!this.code) return;
    const g = this.graph, F = g.forward.length, k = this.index;
    this.code.replaceChildren();
    if (k <= F || !this.backward) {
      g.forward.forEach((f, i) => htmlEl("li", { class: i < k - 1 ? "done" : i === k - 1 ? "now" : "todo" }, this.code, f.code));
    } else {
      const current = visits.length - 1;
      g.backward.forEach((step, s) => {
        const lines = (step.seed ? [step.seed] : []).concat(step.contributions.filter((c) => c.code).map((c) => c.code));
        for (const text of lines) htmlEl("li", { class: s < current ? "done" : s === current ? "now" : "todo" }, this.code, text);
      });
    }
    const now = this.code.querySelector(".now");
    if (now) now.scrollIntoView({ block: "nearest" });
  }

  // The forward pass lit edge by edge, in the order the engine ran it.
  async animateForward() {
    const edges = new Set();
    for (const f of this.graph.forward) {
      for (const e of f.edges) edges.add(e);
      this.flow = new Set(edges);
      this.render();
      await new Promise((r) => setTimeout(r, 350));
    }
  }
}

// ---------------------------------------------------------------- sections

const sections = {};

function errorOr(answer, errorEl) {
  errorEl.textContent = answer.error ? `error: ${answer.error}` : "";
  return !answer.error;
}

function pressed(group, button) {
  for (const b of group.querySelectorAll("button")) b.setAttribute("aria-pressed", b === button ? "true" : "false");
}

function setupOperations(catalog) {
  const buttons = $("ops-buttons"), info = $("ops-info"), svg = $("ops-svg");
  let current = 0;
  const show = (i) => {
    current = (i + catalog.operations.length) % catalog.operations.length;
    const op = catalog.operations[current];
    pressed(buttons, buttons.children[current]);
    $("ops-b").disabled = !("b" in op.values);
    if (document.activeElement && document.activeElement.tagName !== "INPUT") {
      $("ops-a").value = op.values.a;
      if (op.values.b !== undefined) $("ops-b").value = op.values.b;
    }
    compute();
  };
  const compute = () => {
    const op = catalog.operations[current];
    const values = { a: $("ops-a").value };
    if ("b" in op.values) values.b = $("ops-b").value;
    const answer = ask("expression", { text: op.expression, values });
    info.replaceChildren();
    if (!errorOr(answer, $("ops-error"))) { svg.replaceChildren(); return; }
    const view = new GraphView(svg, answer);
    view.show({ grads: answer.gradients });
    const f = answer.forward[0];
    line(info, "The node:", "line head");
    line(info, esc(f.code));
    line(info, `<span class="flow">${esc(minus(f.numbers))}</span>`);
    line(info, "Its local derivatives (stored for the backward pass):", "line head");
    for (const r of answer.rules) {
      line(info, `∂${esc(answer.root_name)}/∂${esc(r.input)} = ${esc(r.rule)} = <span class="grad">${num(r.local)}</span>`);
    }
    line(info, "Red under each input: that derivative, as backward() seeds ∂f/∂f = 1.", "line head");
  };
  catalog.operations.forEach((op, i) => {
    const b = htmlEl("button", { "aria-pressed": "false", title: op.name }, buttons, op.expression);
    b.addEventListener("click", () => show(i));
  });
  for (const id of ["ops-a", "ops-b"]) $(id).addEventListener("input", compute);
  sections.ops = { next: () => show(current + 1), prev: () => show(current - 1), enter: () => {} };
  $("ops-a").value = catalog.operations[0].values.a;
  $("ops-b").value = catalog.operations[0].values.b;
  show(0);
}

function exampleChooser(container, catalog, onPick) {
  const names = Object.keys(catalog.examples);
  names.forEach((name) => {
    const b = htmlEl("button", { "data-example": name, "aria-pressed": "false" }, container, catalog.examples[name].title);
    b.addEventListener("click", () => { pressed(container, b); onPick(name); });
  });
  return (name) => container.querySelector(`[data-example="${name}"]`).click();
}

function setupGraph(catalog) {
  const stepper = new Stepper($("graph-svg"), $("graph-info"), $("graph-code"), { backward: false });
  const pick = exampleChooser(document.querySelector('.examples[data-for="graph"]'), catalog, (name) => {
    const graph = ask("example", { name });
    $("graph-note").textContent = graph.note;
    stepper.load(graph);
  });
  $("graph-step").addEventListener("click", () => stepper.next());
  $("graph-back").addEventListener("click", () => stepper.prev());
  $("graph-all").addEventListener("click", () => stepper.go(stepper.last));
  $("graph-path").addEventListener("click", () => { stepper.go(stepper.last); stepper.animateForward(); });
  sections.graph = { next: () => stepper.next(), prev: () => stepper.prev(), stepper };
  pick("lecture");
}

function setupBackprop(catalog) {
  const stepper = new Stepper($("backprop-svg"), $("backprop-info"), $("backprop-code"));
  const pick = exampleChooser(document.querySelector('.examples[data-for="backprop"]'), catalog,
                              (name) => stepper.load(ask("example", { name })));
  $("backprop-step").addEventListener("click", () => stepper.next());
  $("backprop-back").addEventListener("click", () => stepper.prev());
  $("backprop-forward").addEventListener("click", () => stepper.go(stepper.graph.forward.length));
  $("backprop-reset").addEventListener("click", () => stepper.go(0));
  sections.backprop = { next: () => stepper.next(), prev: () => stepper.prev(), stepper };
  pick("article");
}

// A network diagram: columns of neurons, one line per weight, coloured and
// sized by the weight's sign and size as the scenes' NetworkDiagram does.
function drawNetwork(svg, net) {
  svg.replaceChildren();
  const all = net.columns.flat();
  const byId = Object.fromEntries(all.map((n) => [n.id, n]));
  const last = net.columns[net.columns.length - 1][0];
  const loss = { id: "L", x: last.x + 2.4, y: last.y };
  fitViewBox(svg, [...all.map((n) => n.x), loss.x], all.map((n) => n.y), 1.3);
  const maxAbs = Math.max(...net.edges.map((e) => Math.abs(e.weight.value)), 1e-9);
  const edges = svgEl("g", {}, svg), labels = svgEl("g", {}, svg), nodes = svgEl("g", {}, svg);
  const hidden = (layer) => net.view === "layer" && layer > 1;
  for (const e of net.edges) {
    const s = byId[e.source], t = byId[e.target];
    const strength = Math.min(Math.abs(e.weight.value) / maxAbs, 1);
    const g = svgEl("g", { "data-id": e.id, opacity: hidden(e.layer) ? 0.15 : 1 }, edges);
    svgEl("line", { x1: s.x, y1: -s.y, x2: t.x, y2: -t.y, stroke: signColor(e.weight.value, strength),
                    "stroke-width": 0.02 + 0.08 * strength }, g);
    if (hidden(e.layer)) continue;
    // Into the first layer, labels a quarter of the way along, where the fan of
    // edges from each input is spread out: they stack into one readable column.
    const at = e.layer === 1 ? 0.3 : 0.5, x = s.x + (t.x - s.x) * at, y = s.y + (t.y - s.y) * at;
    const label = svgEl("g", { class: "edge-info", "data-id": e.id }, labels);
    svgEl("rect", { x: x - 0.6, y: -y - 0.38, width: 1.2, height: 0.68, rx: 0.08, fill: css("--background"), opacity: 0.9 }, label);
    svgEl("text", { x, y: -y - 0.17, class: "edge-label weight", "data-value": e.weight.value }, label, minus(e.weight.text));
    svgEl("text", { x, y: -y + 0.13, class: "edge-label grad", "data-grad": e.grad.value }, label, minus(e.grad.text));
    svgEl("title", {}, label, `${e.id} = ${e.weight.value}\n∂L/∂${e.id} = ${e.grad.value}`);
  }
  const drawNode = (n, layer) => {
    const g = svgEl("g", { class: "node", "data-id": n.id, transform: `translate(${n.x},${-n.y})`,
                            opacity: hidden(layer) ? 0.15 : 1 }, nodes);
    const color = css(ROLE_VAR[n.role]);
    svgEl("circle", { r: RADIUS, class: "shape", stroke: color, fill: color, "fill-opacity": 0.35 }, g);
    svgEl("text", { class: "name" }, g, n.name);
    if (hidden(layer)) return;
    svgEl("text", { class: "number value", y: -RADIUS - 0.26, "data-value": n.value.value }, g, minus(n.value.text));
    svgEl("text", { class: "number grad", y: RADIUS + 0.28, "data-grad": n.grad.value }, g, minus(n.grad.text));
    if (n.bias) {
      svgEl("text", { class: "edge-label bias", y: RADIUS + 0.64, "data-value": n.bias.value }, g, `b = ${minus(n.bias.text)}`);
      svgEl("text", { class: "edge-label grad", y: RADIUS + 0.92, "data-grad": n.bias.grad.value }, g, `∂L/∂b = ${minus(n.bias.grad.text)}`);
    }
  };
  net.columns.forEach((column, layer) => column.forEach((n) => drawNode(n, layer)));
  const lossHidden = net.view === "layer";
  const g = svgEl("g", { class: "node", "data-id": "L", transform: `translate(${loss.x},${-loss.y})`, opacity: lossHidden ? 0.15 : 1 }, nodes);
  svgEl("line", { x1: -2.4 + RADIUS, y1: 0, x2: -RADIUS, y2: 0, stroke: css("--edge"), "stroke-width": 0.045 }, g);
  svgEl("circle", { r: RADIUS, class: "shape", stroke: css("--output"), fill: css("--output"), "fill-opacity": 0.35 }, g);
  svgEl("text", { class: "name" }, g, "L");
  if (!lossHidden) {
    svgEl("text", { class: "number value", y: -RADIUS - 0.26, "data-value": net.loss.value }, g, minus(net.loss.text));
    svgEl("text", { class: "number grad", y: RADIUS + 0.28, "data-grad": net.loss.grad.value }, g, minus(net.loss.grad.text));
  }
}

// value_to_color of src/visualization/style.py: grey to blue (positive) or red (negative).
function signColor(x, strength) {
  const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
  const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const [r, g, b] = mix(hex(css("--dim")), hex(css(x >= 0 ? "--positive" : "--negative")), 0.25 + 0.75 * strength);
  return `rgb(${r},${g},${b})`;
}

function setupNetwork(catalog) {
  const views = ["neuron", "layer", "mlp"];
  let view = "neuron";
  const defaults = catalog.network;
  $("net-x0").value = defaults.inputs[0];
  $("net-x1").value = defaults.inputs[1];
  $("net-target").value = defaults.target;
  $("net-seed").value = defaults.seed;
  $("net-activation").value = defaults.activation;
  const info = $("network-info");
  const show = (v) => {
    view = v;
    pressed($("network-views"), $("network-views").querySelector(`[data-view="${v}"]`));
    $("net-target").disabled = v === "neuron";
    const answer = ask("network", { view: v, x0: $("net-x0").value, x1: $("net-x1").value,
                                    target: $("net-target").value, seed: $("net-seed").value,
                                    activation: $("net-activation").value });
    info.replaceChildren();
    if (!errorOr(answer, $("network-error"))) return;
    if (v === "neuron") {
      // Numbers on every arrow into an operation; an arrow out of a leaf carries
      // exactly the leaf's own numbers, drawn on the leaf beside it.
      const leaves = new Set(answer.nodes.filter((n) => n.kind === "value" && !answer.forward.some((f) => f.value === n.id)).map((n) => n.id));
      const graphView = new GraphView($("network-svg"), answer,
        { edgeLabels: (edge, source, target) => target.kind === "op" && !leaves.has(source.id) });
      const edgeGrads = {};
      for (const step of answer.backward) for (const c of step.contributions) edgeGrads[c.edge] = c.added.text;
      graphView.show({ grads: answer.gradients, edgeGrads });
      line(info, "One neuron is a small graph: a weighted sum, then the activation.", "line head");
      line(info, `<span class="flow">${esc(minus(answer.formula))}</span>`);
      line(info, "Every arrow carries a value forward (white) and a gradient back (red), ∂n/∂·; an arrow out of a leaf carries the leaf's own numbers.", "line head");
    } else {
      drawNetwork($("network-svg"), answer);
      line(info, v === "layer"
        ? "A layer: three neurons read the same two inputs. Each weight sits on an edge: its value (white) and ∂L/∂w (red)."
        : "The lecture's 2→3→1 network (Scene 3): the loss's gradient reaches every weight and bias.", "line head");
      line(info, `<span class="flow">${esc(minus(answer.formula))}</span>`);
      line(info, "Neurons: activation above (white), ∂L/∂activation below (red). Edge colour: weight sign (blue +, red −); width: its size.", "line head");
    }
  };
  for (const b of $("network-views").querySelectorAll("button")) b.addEventListener("click", () => show(b.dataset.view));
  for (const id of ["net-x0", "net-x1", "net-target", "net-seed", "net-activation"]) $(id).addEventListener("change", () => show(view));
  sections.network = { next: () => show(views[(views.indexOf(view) + 1) % 3]), prev: () => show(views[(views.indexOf(view) + 2) % 3]) };
  show("neuron");
}

function setupTraining(catalog) {
  const canvas = $("train-canvas"), ctx = canvas.getContext("2d"), plot = $("train-loss");
  let data = null, losses = [], running = false, boundary = null, accuracy = null;
  $("train-data-seed").value = catalog.training.data_seed;
  $("train-model-seed").value = catalog.training.model_seed;
  $("train-lr").value = catalog.training.lr;

  const reset = () => {
    running = false;
    $("train-run").textContent = "Run";
    const answer = ask("train_start", { data_seed: Number($("train-data-seed").value),
                                        model_seed: Number($("train-model-seed").value) });
    if (!errorOr(answer, $("train-error"))) return;
    data = answer; boundary = answer.boundary; accuracy = answer.accuracy_now; losses = [];
    draw();
  };
  // One step; the boundary (1,218 forward passes) is redrawn every step when
  // stepping by hand and every fifth step while running.
  const step = (n = 1, boundaryEvery = 1) => {
    const answer = ask("train_step", { steps: n, lr: Number($("train-lr").value) });
    if (!errorOr(answer, $("train-error"))) { stop(); return false; }
    losses.push(...answer.losses);
    accuracy = answer.accuracy_now;
    if (losses.length % boundaryEvery === 0) boundary = ask("boundary");
    draw();
    return true;
  };
  const stop = () => { running = false; $("train-run").textContent = "Run"; };
  const run = () => {
    if (running) { stop(); return; }
    running = true;
    $("train-run").textContent = "Pause";
    const tick = () => { if (running && step(1, 5)) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  };

  function draw() {
    const { xs, ys, scores } = boundary, W = canvas.width, H = canvas.height;
    const [x0, x1, y0, y1] = [xs[0], xs[xs.length - 1], ys[0], ys[ys.length - 1]];
    const px = (x) => ((x - x0) / (x1 - x0)) * W, py = (y) => H - ((y - y0) / (y1 - y0)) * H;
    // The scores as a small image (one pixel per grid point), scaled up smoothly.
    const small = document.createElement("canvas");
    small.width = xs.length; small.height = ys.length;
    const sctx = small.getContext("2d"), image = sctx.createImageData(xs.length, ys.length);
    const pos = hexRgb(css("--positive")), neg = hexRgb(css("--negative")), bg = hexRgb(css("--background"));
    for (let j = 0; j < ys.length; j++) {
      for (let i = 0; i < xs.length; i++) {
        const s = scores[j][i], t = Math.min(Math.abs(s), 1) * 0.55, at = 4 * ((ys.length - 1 - j) * xs.length + i);
        (s >= 0 ? pos : neg).forEach((v, k) => { image.data[at + k] = Math.round(bg[k] + (v - bg[k]) * t); });
        image.data[at + 3] = 255;
      }
    }
    sctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    const cw = W / (xs.length - 1), ch = H / (ys.length - 1);
    ctx.drawImage(small, -cw / 2, -ch / 2, W + cw, H + ch);
    for (let k = 0; k < data.X.length; k++) {
      const [x, y] = data.X[k];
      ctx.beginPath();
      ctx.arc(px(x), py(y), 7, 0, 2 * Math.PI);
      ctx.fillStyle = data.y[k] > 0 ? css("--positive") : css("--negative");
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#ffffff";
      ctx.stroke();
    }
    drawLoss();
    const info = $("train-info");
    info.replaceChildren();
    const last = losses.length ? losses[losses.length - 1] : null;
    line(info, `step <span data-step>${losses.length}</span>`);
    line(info, `loss <span class="grad" data-loss="${last ?? ""}">${last === null ? "–" : last.toPrecision(4)}</span>` +
               (last === null ? "" : " (mean hinge, at the last step)"));
    line(info, `accuracy now <span class="flow">${Math.round(accuracy * 100)}%</span>`);
    line(info, "Background: the model's score (blue > 0, red < 0); points: the moons, by label.", "line head");
  }

  function drawLoss() {
    plot.replaceChildren();
    const W = 380, H = 150;
    plot.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svgEl("text", { x: 8, y: 16, fill: css("--note"), "font-size": 13 }, plot, "loss");
    if (!losses.length) return;
    const top = Math.max(...losses), n = Math.max(losses.length - 1, 1);
    const pts = losses.map((l, k) => `${20 + (k / n) * (W - 30)},${H - 12 - (l / top) * (H - 34)}`).join(" ");
    svgEl("polyline", { points: pts, fill: "none", stroke: css("--output"), "stroke-width": 2.5 }, plot);
    svgEl("text", { x: W - 8, y: 16, fill: css("--note"), "font-size": 13, "text-anchor": "end" }, plot,
          `${losses.length} steps, max ${top.toPrecision(3)}`);
  }

  $("train-step").addEventListener("click", () => { stop(); step(1); });
  $("train-run").addEventListener("click", run);
  $("train-reset").addEventListener("click", reset);
  for (const id of ["train-data-seed", "train-model-seed"]) $(id).addEventListener("change", reset);
  sections.training = { next: () => { stop(); step(1); }, prev: () => {}, space: run, leave: stop,
                        state: () => ({ losses: [...losses], running, accuracy }) };
  reset();
}

function hexRgb(h) { return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)); }

function setupYours() {
  const stepper = new Stepper($("yours-svg"), $("yours-info"), $("yours-code"));
  const submit = () => {
    const answer = ask("expression", { text: $("yours-expr").value, values: $("yours-values").value });
    if (!errorOr(answer, $("yours-error"))) return;
    stepper.load(answer);
    stepper.go(answer.forward.length);   // drawn at once; → steps the backward pass
    $("yours-command").textContent = `As a narrated video: ${answer.command}`;
  };
  $("yours-form").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  $("yours-step").addEventListener("click", () => stepper.next());
  $("yours-back").addEventListener("click", () => stepper.prev());
  $("yours-forward").addEventListener("click", () => stepper.go(stepper.graph.forward.length));
  sections.yours = { next: () => stepper.next(), prev: () => stepper.prev(), stepper };
  submit();
}

// ---------------------------------------------------------------- navigation and keys

const ORDER = ["ops", "graph", "backprop", "network", "training", "yours"];
let currentSection = "ops";

function showSection(name) {
  if (!ORDER.includes(name)) name = "ops";
  if (sections[currentSection] && sections[currentSection].leave) sections[currentSection].leave();
  currentSection = name;
  for (const id of ORDER) $(id).classList.toggle("current", id === name);
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.section === name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

function onKey(event) {
  if (event.target.closest("input, select, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
  const section = sections[currentSection];
  if (!section) return;
  if (event.key === "ArrowRight" || event.key === "PageDown") { section.next(); event.preventDefault(); }
  else if (event.key === "ArrowLeft" || event.key === "PageUp") { section.prev(); event.preventDefault(); }
  else if (event.key === " " && section.space) { section.space(); event.preventDefault(); }
  else if (/^[1-6]$/.test(event.key)) { location.hash = ORDER[Number(event.key) - 1]; }
}

async function main() {
  const status = $("status");
  window.addEventListener("hashchange", () => showSection(location.hash.slice(1)));
  showSection(location.hash.slice(1) || "ops");
  try {
    const { seconds, python } = await boot();
    const catalog = ask("catalog");
    setupOperations(catalog);
    setupGraph(catalog);
    setupBackprop(catalog);
    setupNetwork(catalog);
    setupTraining(catalog);
    setupYours();
    document.addEventListener("keydown", onKey);
    status.textContent = `Engine ready: Python ${python}, started in ${seconds.toFixed(1)} s.`;
    document.body.classList.remove("booting");
    return { seconds, python };
  } catch (error) {
    status.textContent = `The engine could not start: ${error.message}`;
    status.classList.add("failed");
    $("boot").textContent = status.textContent;   // stays in the middle of the page
    throw error;
  }
}

// For the tests and the curious: explorer.ready resolves once the engine runs.
window.explorer = { ready: main(), ask: (kind, args) => ask(kind, args), sections, showSection };
