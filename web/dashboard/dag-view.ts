// The plan's DAG: laid out once (dag-layout.ts), drawn as SVG; a status change only flips a node's data-status
// (the colours are in style.css), so live updates never lay the graph out again.
import { type Box, type DagLayout, layoutDag } from "./dag-layout.js";
import { svg } from "./dom.js";
import { token } from "./format.js";

export interface DagTask {
  id: string;
  name?: string;
  action_type: string;
  dependencies: string[];
  status?: string;
}

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.2;
const MAX_LABEL = 28;
let views = 0;

function clip(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

function nodeWidth(task: DagTask): number {
  const chars = Math.max(clip(task.name ?? task.id).length, task.action_type.length);
  return Math.round(Math.max(90, chars * CHAR_WIDTH + 24));
}

/** The SVG of a DAG whose nodes take their colour from a status and report clicks. */
export class DagView {
  readonly element: SVGSVGElement;
  private readonly nodes = new Map<string, SVGGElement>();
  private shape = "";
  /** The arrowhead's id, unique in the page (the start box and a run page may both show a DAG). */
  private readonly arrowId = `dag-arrow-${++views}`;

  constructor(private readonly onSelect?: (taskId: string) => void) {
    this.element = svg("svg", { class: "dag", role: "img", "aria-label": "Task graph" });
  }

  /** Draws the tasks; the layout is redone only when the tasks or their dependencies changed. */
  render(tasks: readonly DagTask[]): void {
    const shape = JSON.stringify(tasks.map((t) => [t.id, t.name, t.action_type, t.dependencies]));
    if (shape !== this.shape) {
      this.shape = shape;
      this.draw(tasks);
    }
    for (const t of tasks) this.setStatus(t.id, t.status);
  }

  /** Recolours one node. */
  setStatus(taskId: string, status: string | undefined): void {
    this.nodes.get(taskId)?.setAttribute("data-status", token(status ?? "planned"));
  }

  /** Marks the node whose details are shown. */
  select(taskId: string | undefined): void {
    for (const [id, node] of this.nodes) node.classList.toggle("selected", id === taskId);
  }

  private draw(tasks: readonly DagTask[]): void {
    const laid = layoutDag(
      tasks.map((t) => ({ id: t.id, width: nodeWidth(t), dependencies: t.dependencies })),
      NODE_HEIGHT,
    );
    this.element.setAttribute("viewBox", `0 0 ${laid.width} ${laid.height}`);
    this.element.setAttribute("width", String(laid.width));
    this.element.setAttribute("height", String(laid.height));
    this.nodes.clear();
    const nodes = tasks.flatMap((t) => {
      const box = laid.boxes.get(t.id);
      return box ? [this.node(t, box)] : [];
    });
    this.element.replaceChildren(arrowMarker(this.arrowId), ...edgePaths(laid, this.arrowId), ...nodes);
  }

  private node(task: DagTask, box: Box): SVGGElement {
    const group = svg(
      "g",
      { class: "node", transform: `translate(${box.x},${box.y})`, tabindex: 0, role: "button", "data-task": task.id },
      svg("title", {}, `${task.id} (${task.action_type})`),
      svg("rect", { width: box.width, height: box.height, rx: 6 }),
      svg("text", { x: 12, y: 18, class: "label" }, clip(task.name ?? task.id)),
      svg("text", { x: 12, y: 34, class: "kind" }, task.action_type),
    );
    const select = () => this.onSelect?.(task.id);
    group.addEventListener("click", select);
    group.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") select();
    });
    this.nodes.set(task.id, group);
    return group;
  }
}

function arrowMarker(id: string): SVGDefsElement {
  return svg(
    "defs",
    {},
    svg(
      "marker",
      { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }),
    ),
  );
}

function edgePaths(laid: DagLayout, arrowId: string): SVGPathElement[] {
  return laid.edges.map(({ points }) => {
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    return svg("path", { d, class: "edge", "marker-end": `url(#${arrowId})` });
  });
}
