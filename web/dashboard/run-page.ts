// The page of one run (#/runs/<id>): header and actions, the DAG, the timeline and the task panel, all kept
// live by the run's event stream.
import { ApiError, api, followRun, runPath } from "./api.js";
import { DagView } from "./dag-view.js";
import { el, replaceChildren } from "./dom.js";
import { isFinished } from "./format.js";
import { showError } from "./notice.js";
import { renderActions, renderHeader } from "./run-header.js";
import { applyEvent } from "./run-state.js";
import { renderTaskPanel } from "./task-panel.js";
import { renderTimeline } from "./timeline.js";
import type { RunDetail, WorkflowEvent } from "./types.js";

/** A re-read waits this long to gather events (longer for big runs, whose answer is big). */
const reloadDelay = (tasks: number) => Math.min(2000, 250 + tasks * 2);
const REFOLLOW_MS = 3000;
/** How many re-reads may still show a run status older than the last event's before the read is believed. */
const STALE_READS = 8;
/** A run just accepted by POST /runs may not be readable yet: a few tries before "not found" is believed. */
const NOT_FOUND_TRIES = 10;

/** Mounts the run page into `root`; the function returned stops its stream and timers. */
export function mountRunPage(root: HTMLElement, runId: string): () => void {
  const header = el("div");
  const actions = el("div");
  const notice = el("div", { class: "notice" });
  const dag = new DagView((id) => select(id));
  const timeline = el("div");
  const panel = el("aside", { class: "task-panel" });
  replaceChildren(
    root,
    el("p", {}, el("a", { href: "#/" }, "← All runs")),
    header,
    actions,
    notice,
    el("section", { class: "card dag-card" }, el("h3", {}, "Graph"), el("div", { class: "dag-scroll" }, dag.element)),
    el("div", { class: "split" }, el("section", { class: "card" }, el("h3", {}, "Timeline"), timeline), panel),
  );

  let run: RunDetail | undefined;
  let selected: string | undefined;
  let disposed = false;
  let unfollow: (() => void) | undefined;
  // Events that arrived while a re-read was in flight are applied again on top of its answer.
  let sinceRead: WorkflowEvent[] = [];
  let loading = false;
  let again = false;
  let reloadTimer: number | undefined;
  // The server sends some status events before it stores the status (approval_requested): a read just after
  // one may still show the status before it. The event's status holds until a read agrees (or a few reads later).
  let pinned: { status: RunDetail["status"]; reads: number } | undefined;
  let notFound = 0;

  const render = () => {
    if (!run) return;
    replaceChildren(header, renderHeader(run));
    replaceChildren(actions, renderActions(run, { accepted: afterAction, failed: (e) => showError(notice, e) }));
    dag.render(run.tasks);
    dag.select(selected);
    renderDetails();
  };
  const renderGantt = () => {
    if (run)
      replaceChildren(
        timeline,
        renderTimeline(
          run.tasks.map((t) => t.id),
          run.attempts ?? [],
          select,
        ),
      );
  };
  const renderDetails = () => {
    if (!run) return;
    renderGantt();
    replaceChildren(
      panel,
      renderTaskPanel(
        run.tasks.find((t) => t.id === selected),
        run.attempts ?? [],
      ),
    );
  };
  const select = (id: string) => {
    selected = id;
    dag.select(id);
    renderDetails();
  };

  const load = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    sinceRead = [];
    try {
      const fresh = await api<RunDetail>("GET", runPath(runId));
      for (const event of sinceRead) applyEvent(fresh, event);
      if (pinned && fresh.status !== pinned.status && pinned.reads++ < STALE_READS) {
        fresh.status = pinned.status;
        again = true;
      } else pinned = undefined;
      run = fresh;
      showError(notice, undefined);
      if (!disposed) render();
    } catch (error) {
      if (!run && error instanceof ApiError && error.code === "RUN_NOT_FOUND" && ++notFound < NOT_FOUND_TRIES) again = true;
      else if (!disposed) showError(notice, error);
    } finally {
      loading = false;
      if (again && !disposed) {
        again = false;
        reload();
      }
    }
  };
  // At most one re-read waits at a time: a steady flow of events still gets one every delay (a debounce that
  // restarted on each event would never fire while the run is busy).
  const reload = () => {
    if (reloadTimer !== undefined) return;
    reloadTimer = window.setTimeout(
      () => {
        reloadTimer = undefined;
        void load();
      },
      reloadDelay(run?.tasks.length ?? 0),
    );
  };

  // An approval continues the run in the server: its events may come on a stream the page had let go.
  const afterAction = () => {
    showError(notice, undefined);
    follow();
    reload();
  };

  const onEvent = (event: WorkflowEvent) => {
    sinceRead.push(event);
    if (!run) return;
    const before = run.status;
    applyEvent(run, event);
    if (run.status !== before) {
      pinned = { status: run.status, reads: 0 };
      render();
    }
    if (event.task_id) dag.setStatus(event.task_id, run.tasks.find((t) => t.id === event.task_id)?.status);
    reload();
  };
  const follow = () => {
    if (unfollow || disposed) return;
    unfollow = followRun(runId, onEvent, () => {
      unfollow = undefined;
      // A stream the server refused or ended early is tried again while the run can still change.
      const gone = !run && notFound >= NOT_FOUND_TRIES;
      if (!disposed && !gone && !(run && isFinished(run.status))) window.setTimeout(follow, REFOLLOW_MS);
    });
  };

  // Running attempts grow on the timeline without an event.
  const ticker = window.setInterval(() => {
    if (run && !isFinished(run.status) && run.status !== "awaiting_approval") renderGantt();
  }, 1000);

  follow();
  void load();
  return () => {
    disposed = true;
    clearInterval(ticker);
    clearTimeout(reloadTimer);
    unfollow?.();
  };
}
