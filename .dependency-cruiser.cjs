/**
 * The layer rule: imports point down this list, never up. `npm run lint` fails on a back-arrow.
 * A folder may import its own layer and any layer below it.
 */
const LAYERS = [
  ["model", "^src/model/"],
  // OpenTelemetry and Prometheus behind the model's ports (telemetry.ts): the API only; the SDK loads lazily.
  ["telemetry", "^src/telemetry/"],
  ["plan", "^src/plan/"],
  ["safety", "^src/safety/"],
  ["actions", "^src/actions/"],
  ["failure-policy", "^src/failure-policy/"],
  ["executor", "^src/executor/"],
  // The BullMQ nouns (queue executor, task worker): the executor level, beside the in-process one.
  ["queue", "^src/queue/"],
  ["scheduler", "^src/scheduler/"],
  ["graph", "^src/graph/"],
  ["persistence", "^src/persistence/"],
  ["engine", "^src/engine/"],
  ["server", "^src/server/"],
  ["cli", "^(src/cli/|src/demo/|src/index\\.ts$|main\\.ts$)"],
];

const upward = LAYERS.flatMap(([name, path], i) => {
  const above = LAYERS.slice(i + 1).map(([, p]) => p);
  if (above.length === 0) return [];
  return [
    {
      name: `layer-${name}`,
      comment: `${name} may import only its own layer and the layers below it (see ARCHITECTURE.md)`,
      severity: "error",
      from: { path },
      to: { path: above.join("|") },
    },
  ];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "utils-imports-no-src",
      comment: "utils/ is shared plumbing: it imports nothing from src/ or agents/",
      severity: "error",
      from: { path: "^utils/" },
      to: { path: "^(src|agents|workflows)/" },
    },
    {
      name: "agents-implement-ports",
      comment: "agents/ implements the Planner and FailureAdvisor ports: it sees the model and the plan layer only",
      severity: "error",
      from: { path: "^agents/" },
      to: { path: "^src/(?!model/|plan/)|^workflows/" },
    },
    {
      name: "only-engine-wires-agents",
      comment: "only the engine (composition) wires the planners and the advisor in",
      severity: "error",
      from: { path: "^src/(?!engine/)" },
      to: { path: "^agents/" },
    },
    {
      name: "workflows-use-public-api",
      comment: "workflows/ uses only the public API (src/index.ts)",
      severity: "error",
      from: { path: "^workflows/" },
      to: { path: "^src/(?!index\\.ts$)|^agents/" },
    },
    {
      name: "web-is-browser-only",
      comment: "web/ runs in the browser: from src/ it may take only the model's types (import type), nothing of agents/ or workflows/",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^src/(?!model/)|^agents/|^workflows/|^utils/" },
    },
    {
      name: "web-imports-types-only",
      comment: "web/ is bundled for the browser: anything it imports from src/ must be a type, so that no engine code ships",
      severity: "error",
      from: { path: "^web/" },
      to: { path: "^src/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "nothing-imports-web",
      comment: "the dashboard is served as files from dist/web, never imported",
      severity: "error",
      from: { path: "^(src|agents|utils|workflows)/" },
      to: { path: "^web/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|test|bench)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
