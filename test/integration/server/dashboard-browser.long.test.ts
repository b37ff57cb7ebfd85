import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../fixtures/chromium.js";
import { REPO } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

// The dashboard in a real browser against the real server (`node main.js serve`): a run started from the goal
// box is watched to the end without a reload, a paused run is approved with the page's button, and a server
// with a token gets it from the page in a header (the live events too).
// SCREENSHOT=1 also saves docs/dashboard.png (the finished run page) for the README.
const DEADLINE = 30_000;
const servers: ChildProcess[] = [];
let browser: Browser;
let page: Page;
let url: string;
let workspace: string;
let cleanup: () => Promise<void>;
const pageErrors: string[] = [];

/** `node main.js serve` on a free port; resolves with the address it prints. */
async function startServer(dir: string, env: Record<string, string> = {}): Promise<string> {
  const server = spawn(process.execPath, [path.join(REPO, "main.js"), "serve", "--port", "0", "--workspace", dir, "--approve", "ask"], {
    cwd: dir,
    env: {
      ...process.env,
      OPENAI_API_KEY: "",
      DATABASE_URL: "",
      CHECKPOINT_URL: "",
      REDIS_URL: "",
      SERVER_TOKEN: "",
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.push(server);
  let output = "";
  const listening = new Promise<string>((resolve) => {
    const read = (d: Buffer) => {
      output = (output + d.toString()).slice(-8000);
      const m = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/.exec(output);
      if (m) resolve(m[0]);
    };
    server.stdout?.on("data", read);
    server.stderr?.on("data", read);
  });
  const exited = once(server, "exit").then(([code]) => {
    throw new Error(`the server exited (${code}) before listening: ${output}`);
  });
  return Promise.race([listening, exited]);
}

/** SIGTERM (the server drains and exits), SIGKILL if it has not exited within 15 s, so a stuck drain fails nothing here. */
async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, "exit");
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  // The page under test is the one in web/dashboard now, not an older build.
  execFileSync(process.execPath, [path.join(REPO, "scripts/bundle-web.mjs")], { cwd: REPO, stdio: "inherit" });
  ({ dir: workspace, cleanup } = await makeTempDir("wf-dash-"));
  mkdirSync(path.join(workspace, "output"));
  url = await startServer(workspace);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(DEADLINE);
  page.on("pageerror", (error) => pageErrors.push(error.message));
}, 120_000);

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map(stop));
  await cleanup?.();
});

/** Types the goal or plan, shows the dry-run plan (its DAG has `tasks` nodes), starts it; returns the run id. */
async function startFromBox(text: string, tasks: number): Promise<string> {
  await page.goto(`${url}/#/`);
  await page.fill("#run-input", text);
  await page.click("#show-plan");
  await page
    .locator(".preview svg.dag g.node")
    .nth(tasks - 1)
    .waitFor();
  expect(await page.locator(".preview svg.dag g.node").count()).toBe(tasks);
  await page.click("#start-run");
  await page.waitForURL(/#\/runs\/.+/);
  return decodeURIComponent(new URL(page.url()).hash.replace(/^#\/runs\//, ""));
}

const node = (task: string, status: string) => page.locator(`svg.dag g.node[data-task="${task}"][data-status="${status}"]`);

describe("the dashboard in Chromium", () => {
  it("serves the page with a CSP and immutable hashed assets", async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    const script = /src="(\/assets\/main-[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  it("shows an API error as text", async () => {
    const bad = { tasks: [{ id: "a", action_type: "wait", action_config: { ms: 1 }, dependencies: ["<b>nope</b>"] }] };
    await page.goto(`${url}/#/`);
    await page.fill("#run-input", JSON.stringify(bad));
    await page.click("#show-plan");
    const error = page.locator(".notice .error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^PLAN_INVALID: [\s\S]*"<b>nope<\/b>"/);
    expect(await page.locator(".notice b").count()).toBe(0);
  });

  it("starts a run from the goal box and watches its tasks turn completed live", async () => {
    const runId = await startFromBox("Wait 3 seconds then list the files in output", 2);
    expect(runId).not.toBe("");
    // A mark on the window: it survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    await node("wait", "running").waitFor();
    await node("wait", "completed").waitFor();
    await node("list_files", "completed").waitFor();
    await page.locator('#run-status[data-status="completed"]').waitFor();
    expect(await page.evaluate(() => (window as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.locator(".timeline .bar.outcome-completed").nth(1).waitFor();
    await page.goto(`${url}/#/`);
    await page.locator(`tr[data-run="${runId}"][data-status="completed"]`).waitFor();
  });

  it("approves a paused run from the browser", async () => {
    const plan = {
      tasks: [
        { id: "prepare", action_type: "transform_data", action_config: { input: { items: [3, 4, 5] }, expression: "$sum(items)" } },
        { id: "short_wait", action_type: "wait", action_config: { ms: 400 } },
        { id: "long_wait", action_type: "wait", action_config: { ms: 900 } },
        {
          id: "write_report",
          action_type: "file_operation",
          action_config: { operation: "write", path: "output/report.txt", content: "total {{prepare.data}}" },
          dependencies: ["prepare", "short_wait", "long_wait"],
        },
        {
          id: "read_back",
          action_type: "file_operation",
          action_config: { operation: "read", path: "output/report.txt" },
          dependencies: ["write_report"],
        },
      ],
    };
    await startFromBox(JSON.stringify(plan, null, 2), 5);
    await page.locator('#run-status[data-status="awaiting_approval"]').waitFor();
    await node("long_wait", "completed").waitFor();
    expect(await node("write_report", "pending").count()).toBe(1);
    await page.click("#approve");
    await node("write_report", "completed").waitFor();
    await node("read_back", "completed").waitFor();
    await page.locator('#run-status[data-status="completed"]').waitFor();
    expect(readFileSync(path.join(workspace, "output/report.txt"), "utf8")).toBe("total 12");
    // The page re-reads the run after the events: the metrics and the task's result arrive with it.
    await page.getByText("5 completed, 0 failed, 0 skipped of 5").waitFor();
    await page.click('svg.dag g.node[data-task="write_report"]');
    await page.locator('.task-detail[data-task="write_report"]').getByText('"bytes_written"').waitFor();
    if (process.env.SCREENSHOT) await page.screenshot({ path: path.join(REPO, "docs/dashboard.png"), fullPage: true });
  });

  it("asks a server with a token for it, then sends it in a header, the live events too", async () => {
    const token = "dashboard-test-token-0123456789";
    const dir = path.join(workspace, "guarded");
    mkdirSync(path.join(dir, "output"), { recursive: true });
    const guarded = await startServer(dir, { SERVER_TOKEN: token });
    await page.goto(`${guarded}/#/`);
    await page
      .locator(".notice .error")
      .getByText(/^UNAUTHORIZED: /)
      .waitFor();
    await page.fill("#token-form input", token);
    await page.click("#token-form button");
    await page.getByText("No runs yet.").waitFor();
    expect(await page.locator(".notice .error").count()).toBe(0);
    await page.fill("#run-input", "Wait 2 seconds then list the files in output");
    await page.click("#show-plan");
    await page.click("#start-run");
    await page.waitForURL(/#\/runs\/.+/);
    await node("wait", "running").waitFor();
    await node("list_files", "completed").waitFor();
    await page.locator('#run-status[data-status="completed"]').waitFor();
    expect(page.url()).not.toContain(token);
  });
});
