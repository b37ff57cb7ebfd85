import type { PlanInput } from "../../src/model/plan-schema.js";
import type { LibraryCard } from "../../src/model/planner.js";

/** "run [the] [workflow] NAME[@VERSION] [workflow] [with k=v, k2="v 2" and k3=[1,2]]" */
const RUN_WORKFLOW =
  /^\s*(?:please\s+)?(?:run|execute|start|use)\s+(?:the\s+)?(?:workflow\s+)?([a-z][a-z0-9_-]{0,63})(?:@(\d+\.\d+\.\d+))?(?:\s+workflow)?(?:\s+(?:with|using)\s+(.+?))?\s*\.?\s*$/i;
const PAIR = /([A-Za-z_]\w*)\s*[=:]\s*("(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|\{[^}]*\}|[^,\s]+)/g;

/**
 * A goal that names a library workflow ("run data_pipeline with source_url=https://... and csv_path=out.csv")
 * becomes a one-task plan calling it; the engine then checks the inputs against the workflow's declarations.
 * Undefined when the goal names no workflow of the library, or has words besides `k=v` pairs after "with".
 */
export function planForLibraryGoal(goal: string, library: readonly LibraryCard[]): PlanInput | undefined {
  const m = RUN_WORKFLOW.exec(goal);
  if (!m) return undefined;
  const [, rawName = "", version, rest] = m;
  const card = library.find((c) => c.name === rawName.toLowerCase());
  if (!card) return undefined;
  const inputs: Record<string, unknown> = {};
  if (rest !== undefined) {
    const leftover = rest.replace(PAIR, "").replace(/\b(and)\b|[,\s]/gi, "");
    if (leftover !== "") return undefined;
    for (const [, key = "", text = ""] of rest.matchAll(PAIR)) inputs[key] = inputValue(text, card.inputs[key]?.type);
  }
  return {
    goal,
    tasks: [
      {
        id: card.name.replace(/-/g, "_"),
        name: `Run the workflow ${card.name}`,
        action_type: "workflow",
        action_config: { name: card.name, ...(version ? { version } : {}), inputs },
      },
    ],
  };
}

function inputValue(text: string, type: string | undefined): unknown {
  if (text.startsWith("'")) return text.slice(1, -1);
  if (type === "string" && !text.startsWith('"')) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
