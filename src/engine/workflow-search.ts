import type { WorkflowDefinition } from "../model/workflow-schema.js";

/** One search hit: the workflow, its score (query words found) and the words that matched. */
export interface SearchHit {
  name: string;
  version: string;
  description: string;
  score: number;
  matched: string[];
}

/** Hosts a workflow's api_call tasks reach, from literal URLs and from input defaults that are URLs. */
function hostsOf(def: WorkflowDefinition): string[] {
  const hosts = new Set<string>();
  const add = (text: unknown) => {
    if (typeof text !== "string") return;
    for (const m of text.matchAll(/https?:\/\/([^/:?#\s{}]+)/gi)) hosts.add((m[1] ?? "").toLowerCase());
  };
  for (const t of def.tasks) if (t.action_type === "api_call") add(t.action_config.url);
  for (const spec of Object.values(def.inputs)) add(spec.default);
  return [...hosts];
}

/** The words a workflow is found by: name parts, description, tags, input names, action types, hosts. */
function searchTerms(def: WorkflowDefinition): string[] {
  const words = (text: string) =>
    text
      .toLowerCase()
      .split(/[^a-z0-9_.-]+/)
      .filter((w) => w.length > 1);
  return [
    def.name,
    ...def.name.split(/[_-]/),
    ...words(def.description),
    ...(def.tags ?? []).flatMap(words),
    ...Object.keys(def.inputs).map((k) => k.toLowerCase()),
    ...new Set(def.tasks.map((t) => t.action_type)),
    ...hostsOf(def),
  ];
}

/**
 * Workflows matching `query`, best first: each query word counts once when a term contains it (`api` finds
 * api_call and api_orchestration; `example.com` finds the workflows that call that host). Ties by name.
 */
export function searchWorkflows(defs: readonly WorkflowDefinition[], query: string): SearchHit[] {
  const wanted = query.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 20);
  const hits: SearchHit[] = [];
  for (const def of defs) {
    const terms = searchTerms(def);
    const matched = wanted.filter((w) => terms.some((t) => t.includes(w)));
    if (matched.length === 0) continue;
    hits.push({ name: def.name, version: def.version, description: def.description, score: matched.length, matched });
  }
  return hits.sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
}
