// Starting a run: a goal or a pasted plan goes to POST /plan first (a dry run), the plan and its DAG are shown,
// and only then does "Start" post the same input to POST /runs.
import { api } from "./api.js";
import { DagView } from "./dag-view.js";
import { button, el, replaceChildren } from "./dom.js";
import { showError } from "./notice.js";
import type { PlanPreview, RunAccepted } from "./types.js";

/** `{plan}` when the text is a JSON object (a plan), else `{goal}`. */
function runInput(text: string): { goal: string } | { plan: unknown } {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      return { plan: JSON.parse(trimmed) };
    } catch (error) {
      throw new Error(`The plan is not valid JSON: ${(error as Error).message}`);
    }
  }
  return { goal: trimmed };
}

/** The dry-run plan: its size, its tasks in order, and its DAG. */
function planPreview(answer: PlanPreview): HTMLElement[] {
  const dag = new DagView();
  dag.render(answer.plan.tasks);
  return [el("h3", {}, `Plan: ${answer.plan.tasks.length} tasks`), planSummary(answer), el("div", { class: "dag-scroll" }, dag.element)];
}

function planSummary(preview: PlanPreview): HTMLElement {
  const tasks = preview.plan.tasks;
  return el(
    "ol",
    { class: "plan-tasks" },
    ...tasks.map((t) =>
      el("li", {}, el("strong", {}, t.id), ` ${t.action_type}`, t.dependencies.length ? ` after ${t.dependencies.join(", ")}` : ""),
    ),
  );
}

/** Mounts the start box into `root`; `started` gets the new run's id. */
export function mountStartRun(root: HTMLElement, started: (runId: string) => void): void {
  const input = el("textarea", {
    id: "run-input",
    rows: "3",
    placeholder: 'A goal, e.g. "Wait 1 second then list the files in output", or a plan as JSON {"tasks": [...]}',
    "aria-label": "Goal or plan",
  });
  const notice = el("div", { class: "notice" });
  const preview = el("div", { class: "preview" });
  let planned: { text: string; body: object } | undefined;

  const start = button(
    "Start",
    async () => {
      if (!planned) return;
      try {
        const accepted = await api<RunAccepted>("POST", "/runs", planned.body);
        started(accepted.run_id);
      } catch (error) {
        showError(notice, error);
      }
    },
    { class: "primary", id: "start-run", disabled: "" },
  );
  const showPlan = async () => {
    showError(notice, undefined);
    replaceChildren(preview);
    planned = undefined;
    start.disabled = true;
    try {
      const body = runInput(input.value);
      const answer = await api<PlanPreview>("POST", "/plan", body);
      replaceChildren(preview, ...planPreview(answer));
      planned = { text: input.value, body };
      start.disabled = false;
    } catch (error) {
      showError(notice, error);
    }
  };
  // A plan shown for other text is not what Start would run.
  input.addEventListener("input", () => {
    start.disabled = planned?.text !== input.value;
  });

  replaceChildren(
    root,
    el("h2", {}, "Start a run"),
    input,
    el("div", { class: "buttons" }, button("Show plan", showPlan, { id: "show-plan" }), " ", start),
    notice,
    preview,
  );
}
