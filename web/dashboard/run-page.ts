// The page of one run (#/runs/<id>): header and actions, the DAG, the timeline and the task panel, redrawn as
// the run's copy (run-sync.ts) changes.
import { DagView } from "./dag-view.js";
import { el, replaceChildren } from "./dom.js";
import { isFinished } from "./format.js";
import { showError } from "./notice.js";
import { renderActions, renderHeader } from "./run-header.js";
import { RunSync } from "./run-sync.js";
import { renderTaskPanel } from "./task-panel.js";
import { renderTimeline } from "./timeline.js";
import type { RunDetail } from "./types.js";

class RunPage {
  private readonly header = el("div");
  private readonly actions = el("div");
  private readonly notice = el("div", { class: "notice" });
  private readonly dag = new DagView((id) => this.select(id));
  private readonly timeline = el("div");
  private readonly panel = el("aside", { class: "task-panel" });
  private readonly sync: RunSync;
  private selected: string | undefined;

  constructor(root: HTMLElement, runId: string) {
    replaceChildren(
      root,
      el("p", {}, el("a", { href: "#/" }, "← All runs")),
      this.header,
      this.actions,
      this.notice,
      el("section", { class: "card dag-card" }, el("h3", {}, "Graph"), el("div", { class: "dag-scroll" }, this.dag.element)),
      el("div", { class: "split" }, el("section", { class: "card" }, el("h3", {}, "Timeline"), this.timeline), this.panel),
    );
    this.sync = new RunSync(runId, {
      changed: (run) => this.render(run),
      taskMoved: (run, taskId) => this.dag.setStatus(taskId, run.tasks.find((t) => t.id === taskId)?.status),
      failed: (error) => showError(this.notice, error),
    });
  }

  start(): () => void {
    this.sync.start();
    // Running attempts grow on the timeline without an event.
    const ticker = setInterval(() => {
      const run = this.sync.run;
      if (run && !isFinished(run.status) && run.status !== "awaiting_approval") this.renderTimeline(run);
    }, 1000);
    return () => {
      clearInterval(ticker);
      this.sync.stop();
    };
  }

  private render(run: RunDetail): void {
    showError(this.notice, undefined);
    replaceChildren(this.header, renderHeader(run));
    const hooks = { accepted: () => this.sync.nudge(), failed: (e: unknown) => showError(this.notice, e) };
    replaceChildren(this.actions, renderActions(run, hooks));
    this.dag.render(run.tasks);
    this.dag.select(this.selected);
    this.renderDetails(run);
  }

  private renderTimeline(run: RunDetail): void {
    const ids = run.tasks.map((t) => t.id);
    replaceChildren(
      this.timeline,
      renderTimeline(ids, run.attempts ?? [], (id) => this.select(id)),
    );
  }

  private renderDetails(run: RunDetail): void {
    this.renderTimeline(run);
    const task = run.tasks.find((t) => t.id === this.selected);
    replaceChildren(this.panel, renderTaskPanel(task, run.attempts ?? []));
  }

  private select(taskId: string): void {
    this.selected = taskId;
    this.dag.select(taskId);
    if (this.sync.run) this.renderDetails(this.sync.run);
  }
}

/** Mounts the run page into `root`; the function returned stops its stream and timers. */
export function mountRunPage(root: HTMLElement, runId: string): () => void {
  return new RunPage(root, runId).start();
}
