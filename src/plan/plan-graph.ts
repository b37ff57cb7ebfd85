import type { TaskStatus } from "../model/task-state.js";
import type { Plan } from "../model/plan-schema.js";

const STATUS_CLASS: Record<TaskStatus, string> = {
  pending: "fill:#eeeeee,stroke:#999999",
  running: "fill:#fff3b0,stroke:#c9a400",
  completed: "fill:#c8f7c5,stroke:#2e8b57",
  failed: "fill:#f7c5c5,stroke:#b22222",
  skipped: "fill:#dddddd,stroke:#777777,stroke-dasharray:4",
};

function label(text: string): string {
  return text.replace(/["<>`]/g, "'");
}

/** Words Mermaid's flowchart grammar reads as keywords wherever a node id stands (compared lower-case). */
const MERMAID_KEYWORDS = new Set([
  "end",
  "graph",
  "flowchart",
  "flowchart-elk",
  "subgraph",
  "style",
  "linkstyle",
  "classdef",
  "class",
  "click",
  "call",
  "href",
  "callback",
  "interpolate",
  "default",
  "direction",
  "_self",
  "_blank",
  "_parent",
  "_top",
]);

/** Ids Mermaid reads as one plain node id: words joined by single hyphens, not an edge's `o-`/`x-` start. */
const PLAIN_MERMAID_ID = /^(?![ox]-)[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z0-9_]+)*$/;

/**
 * Node ids for Mermaid: a task id as it is where Mermaid reads it as a plain id, else with its hyphens made
 * `_` and `_` appended until it is neither a keyword nor another task's id (labels still show the task's id).
 */
function mermaidIds(tasks: readonly { id: string }[]): Map<string, string> {
  const taken = new Set(tasks.map((t) => t.id));
  const ids = new Map<string, string>();
  for (const { id } of tasks) {
    let node = id;
    if (!PLAIN_MERMAID_ID.test(node) || MERMAID_KEYWORDS.has(node.toLowerCase())) {
      // `-` and the `#` of a for_each item's id (each#3) are not id characters in mermaid.
      node = node.replace(/[^A-Za-z0-9_]/g, "_");
      while (MERMAID_KEYWORDS.has(node.toLowerCase()) || taken.has(node)) node += "_";
      taken.add(node);
    }
    ids.set(id, node);
  }
  return ids;
}

/** The plan's DAG as a Mermaid flowchart; statuses (when given) colour the nodes. */
export function toMermaid(plan: Pick<Plan, "tasks">, statuses: Record<string, TaskStatus> = {}): string {
  const node = mermaidIds(plan.tasks);
  const n = (id: string) => node.get(id) ?? id;
  const lines = ["flowchart TD"];
  for (const t of plan.tasks) lines.push(`  ${n(t.id)}["${label(t.name ?? t.id)}<br/>${t.action_type}"]`);
  for (const t of plan.tasks) for (const d of t.dependencies) lines.push(`  ${n(d)} --> ${n(t.id)}`);
  const used = new Set(Object.values(statuses));
  for (const s of used) lines.push(`  classDef ${s} ${STATUS_CLASS[s]}`);
  for (const [id, s] of Object.entries(statuses)) lines.push(`  class ${n(id)} ${s}`);
  return lines.join("\n");
}

/** The plan as levels of tasks that can run together, one line per level. */
export function toLevels(plan: Pick<Plan, "tasks">): string[][] {
  const level = new Map<string, number>();
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const depth = (id: string): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    const deps = byId.get(id)?.dependencies ?? [];
    const d = deps.length ? Math.max(...deps.map(depth)) + 1 : 0;
    level.set(id, d);
    return d;
  };
  const levels: string[][] = [];
  for (const t of plan.tasks) {
    const d = depth(t.id);
    levels[d] = [...(levels[d] ?? []), t.id];
  }
  return levels;
}

const DOT_COLOURS: Record<TaskStatus, string> = {
  pending: "#eeeeee",
  running: "#fff3b0",
  completed: "#c8f7c5",
  failed: "#f7c5c5",
  skipped: "#dddddd",
};

function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The plan's DAG in Graphviz DOT; statuses (when given) fill the nodes. */
export function toDot(plan: Pick<Plan, "tasks">, statuses: Record<string, TaskStatus> = {}): string {
  const lines = [
    "digraph workflow {",
    "  rankdir=TB;",
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
  ];
  for (const t of plan.tasks) {
    const status = statuses[t.id];
    const fill = status ? `, fillcolor=${dotString(DOT_COLOURS[status])}` : "";
    const label = `${t.name ?? t.id}\\n${t.action_type}${status ? ` (${status})` : ""}`;
    lines.push(`  ${dotString(t.id)} [label="${label.replace(/"/g, '\\"')}"${fill}];`);
  }
  for (const t of plan.tasks) for (const d of t.dependencies) lines.push(`  ${dotString(d)} -> ${dotString(t.id)};`);
  lines.push("}");
  return lines.join("\n");
}

export const GraphFormat = ["mermaid", "dot"] as const;
export type GraphFormat = (typeof GraphFormat)[number];

/** The DAG in the chosen format. */
export function renderGraph(format: GraphFormat, plan: Pick<Plan, "tasks">, statuses: Record<string, TaskStatus> = {}): string {
  return format === "dot" ? toDot(plan, statuses) : toMermaid(plan, statuses);
}
