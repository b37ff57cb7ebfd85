// Where each task of a DAG goes. dagre gives the good layout (fewer crossings, routed edges), but its cost
// grows steeply: measured in Node on this project's machines, 100 tasks 0.25-0.6 s, 300 tasks 2-3.6 s, 1,000
// tasks 54 s, all of it blocking the page. Past a size, a plain layered layout (a column per dependency depth,
// straight edges) is drawn instead, in linear time.
import { Graph, layout } from "@dagrejs/dagre";
import type { EdgeLabel, NodeLabel } from "@dagrejs/dagre";

export interface LayoutTask {
  id: string;
  width: number;
  dependencies: readonly string[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DagLayout {
  width: number;
  height: number;
  /** Top-left corner and size of each task's box. */
  boxes: Map<string, Box>;
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
}

const MAX_DAGRE_TASKS = 100;
const MAX_DAGRE_EDGES = 200;
const GAP_X = 48;
const GAP_Y = 18;
const MARGIN = 12;

function edgesOf(tasks: readonly LayoutTask[]): [string, string][] {
  const known = new Set(tasks.map((t) => t.id));
  return tasks.flatMap((t) => t.dependencies.filter((d) => known.has(d)).map((d): [string, string] => [d, t.id]));
}

/** Lays the tasks out left to right, dependencies before dependents; each box is `height` tall. */
export function layoutDag(tasks: readonly LayoutTask[], height: number): DagLayout {
  const edges = edgesOf(tasks);
  return tasks.length <= MAX_DAGRE_TASKS && edges.length <= MAX_DAGRE_EDGES
    ? withDagre(tasks, edges, height)
    : layered(tasks, edges, height);
}

function withDagre(tasks: readonly LayoutTask[], edges: [string, string][], height: number): DagLayout {
  const g = new Graph<Record<string, unknown>, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: "LR", nodesep: GAP_Y, ranksep: GAP_X, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const t of tasks) g.setNode(t.id, { width: t.width, height });
  for (const [from, to] of edges) g.setEdge(from, to);
  layout(g);
  const boxes = new Map<string, Box>();
  for (const t of tasks) {
    const n = g.node(t.id);
    boxes.set(t.id, { x: (n.x ?? 0) - n.width / 2, y: (n.y ?? 0) - n.height / 2, width: n.width, height: n.height });
  }
  const size = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    boxes,
    edges: edges.map(([from, to]) => ({ from, to, points: (g.edge(from, to) as EdgeLabel | undefined)?.points ?? [] })),
  };
}

/** Each task's depth: 0 without dependencies, else one more than its deepest dependency (Kahn's order, no recursion). */
function depths(tasks: readonly LayoutTask[], edges: [string, string][]): Map<string, number> {
  const out = new Map<string, string[]>();
  const waiting = new Map<string, number>(tasks.map((t) => [t.id, 0]));
  for (const [from, to] of edges) {
    const list = out.get(from);
    if (list) list.push(to);
    else out.set(from, [to]);
    waiting.set(to, (waiting.get(to) ?? 0) + 1);
  }
  const depth = new Map<string, number>();
  const ready = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  for (const id of ready) depth.set(id, 0);
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] as string;
    for (const next of out.get(id) ?? []) {
      depth.set(next, Math.max(depth.get(next) ?? 0, (depth.get(id) ?? 0) + 1));
      const left = (waiting.get(next) ?? 1) - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return depth;
}

function layered(tasks: readonly LayoutTask[], edges: [string, string][], height: number): DagLayout {
  const depth = depths(tasks, edges);
  const columns: LayoutTask[][] = [];
  for (const t of tasks) {
    const d = depth.get(t.id) ?? 0;
    const column = columns[d];
    if (column) column.push(t);
    else columns[d] = [t];
  }
  const boxes = new Map<string, Box>();
  let x = MARGIN;
  let bottom = 0;
  for (const column of columns) {
    if (!column) continue;
    const width = Math.max(...column.map((t) => t.width));
    for (const [i, t] of column.entries()) boxes.set(t.id, { x, y: MARGIN + i * (height + GAP_Y), width: t.width, height });
    bottom = Math.max(bottom, MARGIN + column.length * (height + GAP_Y));
    x += width + GAP_X;
  }
  const lines = edges.flatMap(([from, to]) => {
    const a = boxes.get(from);
    const b = boxes.get(to);
    if (!a || !b) return [];
    const points = [
      { x: a.x + a.width, y: a.y + height / 2 },
      { x: b.x, y: b.y + height / 2 },
    ];
    return [{ from, to, points }];
  });
  return { width: x - GAP_X + MARGIN, height: bottom - GAP_Y + MARGIN, boxes, edges: lines };
}
