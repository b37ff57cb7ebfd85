import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RulePlanner } from "../../../agents/rule-planner.js";
import { transformExpression } from "../../../agents/rules/jsonata/expression.js";
import type { ListOp } from "../../../agents/rules/list-ops.js";
import { ErrorCode, GoalNotUnderstoodError } from "../../../src/model/errors.js";
import type { Plan, TaskSpec } from "../../../src/model/plan-schema.js";
import { validatePlan } from "../../../src/plan/validate.js";

const API = "http://127.0.0.1:8080";
const planner = new RulePlanner();

/** The shared goal corpus: a copy in the repo if there is one, else the shared folder. */
const CORPUS = ["test/fixtures/goals/public.jsonl", "/work/shared/goals/public.jsonl"].find((p) => existsSync(p));

interface CorpusLine {
  goal: string;
  actions: string[];
  file?: string;
  parallel?: boolean;
}

function corpus(): CorpusLine[] {
  if (CORPUS === undefined) throw new Error("goal corpus public.jsonl not found (test/fixtures/goals or /work/shared/goals)");
  return readFileSync(CORPUS, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as CorpusLine)
    .map((l) => ({ ...l, goal: l.goal.replaceAll("{API}", API) }));
}

/**
 * The expression a transform task runs for exactly these operations: transform tasks carry the
 * planner's compiled JSONata (which unwraps `{items: [...]}` and fails on non-lists), so pinning the
 * expression pins the operations as `operations: [...]` did. Their behaviour is run in goal-corpus.test.ts.
 */
function planned(ops: ListOp[]): string {
  return transformExpression(ops);
}

async function planOf(goal: string): Promise<Plan> {
  const result = await planner.plan({ goal, variables: {} });
  expect(result.planner).toBe("rules");
  expect(result.plan.goal).toBe(goal);
  return validatePlan(result.plan);
}

function task(plan: Plan, id: string): TaskSpec {
  const found = plan.tasks.find((t) => t.id === id);
  if (!found) throw new Error(`no task "${id}" in ${plan.tasks.map((t) => t.id).join(", ")}`);
  return found;
}

/** Ids and action types in order, to pin the whole shape of a plan. */
function shape(plan: Plan): string[] {
  return plan.tasks.map((t) => `${t.id}:${t.action_type}`);
}

async function refusal(goal: string): Promise<GoalNotUnderstoodError> {
  try {
    await planner.plan({ goal, variables: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(GoalNotUnderstoodError);
    const e = err as GoalNotUnderstoodError;
    expect(e.code).toBe(ErrorCode.GoalNotUnderstood);
    expect(e.code).toBe("GOAL_NOT_UNDERSTOOD");
    return e;
  }
  throw new Error(`expected "${goal}" to be refused`);
}

/** Every task `id` waits for, directly or not. */
function ancestors(plan: Plan, id: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...task(plan, id).dependencies];
  while (stack.length) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...task(plan, next).dependencies);
  }
  return seen;
}

describe("RulePlanner on the goal corpus", () => {
  it("is the offline planner", () => {
    expect(planner.kind).toBe("rules");
  });

  it.each(corpus().map((l) => [l.goal, l] as const))("plans %s", async (_goal, line) => {
    const plan = await planOf(line.goal);
    expect(plan.tasks.map((t) => t.action_type).sort()).toEqual([...line.actions].sort());
    if (line.file !== undefined) {
      const writes = plan.tasks.filter(
        (t) => t.action_type === "file_operation" && ["write", "append"].includes(String(t.action_config.operation)),
      );
      expect(writes.map((t) => t.action_config.path)).toContain(line.file);
    }
    if (line.parallel) {
      const fetches = plan.tasks.filter((t) => t.action_type === "api_call").map((t) => t.id);
      expect(fetches.length).toBeGreaterThanOrEqual(2);
      for (const a of fetches) for (const b of fetches) expect(ancestors(plan, a).has(b)).toBe(false);
    }
  });
});

describe("RulePlanner: exact plans for the corpus phrasings", () => {
  it("fetch then save writes the fetched data", async () => {
    const plan = await planOf(`Fetch data from ${API}/users and save to output/users.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "save:file_operation"]);
    expect(task(plan, "fetch_users").action_config).toEqual({ method: "GET", url: `${API}/users` });
    expect(task(plan, "save").action_config).toEqual({
      operation: "write",
      path: "output/users.json",
      content: "{{fetch_users.data}}",
    });
    expect(task(plan, "save").dependencies).toEqual(["fetch_users"]);
  });

  it("parallel fetches merge into an object keyed by URL name", async () => {
    const plan = await planOf(`Fetch ${API}/users and ${API}/posts in parallel, then merge them into output/combined.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "fetch_posts:api_call", "merge:transform_data", "save:file_operation"]);
    expect(task(plan, "fetch_users").dependencies).toEqual([]);
    expect(task(plan, "fetch_posts").dependencies).toEqual([]);
    expect(task(plan, "merge").action_config).toEqual({
      input: { users: "{{fetch_users.data}}", posts: "{{fetch_posts.data}}" },
      expression: "$",
    });
    expect(task(plan, "save").action_config.content).toBe("{{merge.data}}");
  });

  it("sort and first-N become one transform", async () => {
    const plan = await planOf(`Fetch ${API}/users, sort by name, take the first 3, and save them to output/top3.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "sort_limit:transform_data", "save:file_operation"]);
    expect(task(plan, "sort_limit").action_config).toEqual({
      input: "{{fetch_users.data}}",
      expression: planned([
        { op: "sort", by: "name", order: "asc" },
        { op: "limit", count: 3 },
      ]),
    });
  });

  it("SQL ends at ' and save' and rows flow to the file", async () => {
    const plan = await planOf("Run the SQL query SELECT 1 AS one and save the rows to output/one.json");
    expect(task(plan, "query").action_config).toEqual({ query: "SELECT 1 AS one", params: [] });
    expect(task(plan, "save").action_config.content).toBe("{{query.rows}}");
  });

  it("read content flows into rename", async () => {
    const plan = await planOf("Read output/users.json, rename the field name to full_name, and write it to output/renamed.json");
    expect(task(plan, "read_users").action_config).toEqual({ operation: "read", path: "output/users.json" });
    expect(task(plan, "rename").action_config).toEqual({
      input: "{{read_users.content}}",
      expression: planned([{ op: "rename", fields: { name: "full_name" } }]),
    });
  });
});

describe("RulePlanner: paraphrases", () => {
  it("'please download ..., then keep only the users whose city is Oslo and save them as ...'", async () => {
    const plan = await planOf(
      `Please download ${API}/users, then keep only the users whose city is Oslo and save them as output/oslo.json.`,
    );
    expect(shape(plan)).toEqual(["fetch_users:api_call", "filter:transform_data", "save:file_operation"]);
    expect(task(plan, "filter").action_config.expression).toBe(planned([{ op: "filter", field: "city", operator: "==", value: "Oslo" }]));
    expect(task(plan, "save").action_config.path).toBe("output/oslo.json");
  });

  it("semicolons, 'sort them by likes descending', 'keep the top 5'", async () => {
    const plan = await planOf(`Retrieve ${API}/posts; sort them by likes descending; keep the top 5; write to out/top.json`);
    expect(task(plan, "sort_limit").action_config.expression).toBe(
      planned([
        { op: "sort", by: "likes", order: "desc" },
        { op: "limit", count: 5 },
      ]),
    );
    expect(task(plan, "save").action_config).toMatchObject({ operation: "write", path: "out/top.json", content: "{{sort_limit.data}}" });
  });

  it("'take the top 3 by likes' sorts descending first", async () => {
    const plan = await planOf(`Fetch ${API}/posts, take the top 3 by likes, save to t.json`);
    expect(task(plan, "sort_limit").action_config.expression).toBe(
      planned([
        { op: "sort", by: "likes", order: "desc" },
        { op: "limit", count: 3 },
      ]),
    );
  });

  it("'order by likes, highest first' and 'limit to 4 items'", async () => {
    const plan = await planOf(`Get ${API}/posts, order by likes, highest first, then limit the results to 4 items`);
    expect(task(plan, "sort_limit").action_config.expression).toBe(
      planned([
        { op: "sort", by: "likes", order: "desc" },
        { op: "limit", count: 4 },
      ]),
    );
  });

  it("'get the first three users from URL' fetches then limits", async () => {
    const plan = await planOf(`get the first three users from ${API}/users and store them in output/x.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "limit:transform_data", "save:file_operation"]);
    expect(task(plan, "limit").action_config.expression).toBe(planned([{ op: "limit", count: 3 }]));
  });

  it("'pull A and B at the same time and combine them into FILE'", async () => {
    const plan = await planOf(`Pull ${API}/users and ${API}/posts at the same time and combine them into output/all.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "fetch_posts:api_call", "merge:transform_data", "save:file_operation"]);
    expect(task(plan, "fetch_posts").dependencies).toEqual([]);
  });

  it("separate sentences fetch in parallel; merge uses both", async () => {
    const plan = await planOf(`Fetch ${API}/users. Fetch ${API}/posts. Merge them. Save the result to output/m.json`);
    expect(task(plan, "fetch_posts").dependencies).toEqual([]);
    expect(task(plan, "merge").action_config.input).toEqual({ users: "{{fetch_users.data}}", posts: "{{fetch_posts.data}}" });
  });

  it("a wait before parallel fetches: both wait, neither waits for the other", async () => {
    const plan = await planOf(`Wait 2 seconds, then fetch ${API}/users and ${API}/posts, then merge them and save to m.json`);
    expect(task(plan, "wait").action_config).toEqual({ seconds: 2 });
    expect(task(plan, "fetch_users").dependencies).toEqual(["wait"]);
    expect(task(plan, "fetch_posts").dependencies).toEqual(["wait"]);
  });

  it("saving two fetches without merge writes an object keyed by name", async () => {
    const plan = await planOf(`Download ${API}/users and ${API}/posts; save them to a.json`);
    expect(task(plan, "save").action_config.content).toEqual({ users: "{{fetch_users.data}}", posts: "{{fetch_posts.data}}" });
  });

  it("'Send {json} to URL' is a POST with the parsed body", async () => {
    const plan = await planOf(`Send {"a": 1, "b": [1, 2]} to ${API}/items`);
    expect(task(plan, "post_items").action_config).toEqual({ method: "POST", url: `${API}/items`, body: { a: 1, b: [1, 2] } });
  });

  it("'PUT {name: 'x'}' (loose JSON) 'with a 10 second timeout'", async () => {
    const plan = await planOf(`PUT {name: 'x'} to ${API}/items with a 10 second timeout`);
    expect(task(plan, "put_items").action_config).toEqual({ method: "PUT", url: `${API}/items`, body: { name: "x" }, timeout: 10 });
  });

  it("'make a PATCH request to URL with body {...}'", async () => {
    const plan = await planOf(`Make a PATCH request to ${API}/items/3 with body {"done":true}`);
    expect(task(plan, "patch_items_3").action_config).toEqual({ method: "PATCH", url: `${API}/items/3`, body: { done: true } });
  });

  it("'delete URL' is an HTTP DELETE, 'delete PATH' a file delete", async () => {
    const http = await planOf(`delete ${API}/items/3`);
    expect(task(http, "delete_items_3").action_config).toEqual({ method: "DELETE", url: `${API}/items/3` });
    const file = await planOf("remove output/tmp.txt and output/tmp2.txt");
    expect(shape(file)).toEqual(["delete_tmp:file_operation", "delete_tmp2:file_operation"]);
    expect(task(file, "delete_tmp2").action_config).toMatchObject({ operation: "delete", path: "output/tmp2.txt" });
  });

  it("'filter active == false, and POST them to URL' sends the filtered data", async () => {
    const plan = await planOf(`Fetch ${API}/users, filter active == false, and POST them to ${API}/items`);
    expect(task(plan, "filter").action_config.expression).toBe(planned([{ op: "filter", field: "active", operator: "==", value: false }]));
    expect(task(plan, "post_items").action_config).toEqual({ method: "POST", url: `${API}/items`, body: "{{filter.data}}" });
  });

  it("'sleep for 500ms, then call URL' and 'pause 1 minute and then fetch'", async () => {
    const ms = await planOf(`Sleep for 500ms, then call ${API}/status`);
    expect(task(ms, "wait").action_config).toEqual({ ms: 500 });
    expect(task(ms, "fetch_status").dependencies).toEqual(["wait"]);
    const min = await planOf(`pause 1 minute and then fetch ${API}/status`);
    expect(task(min, "wait").action_config).toEqual({ seconds: 60 });
  });

  it("'with a 5s timeout', '(timeout: 2 seconds)', '3 retries'", async () => {
    expect(task(await planOf(`Fetch ${API}/slow with a 5s timeout`), "fetch_slow").action_config.timeout).toBe(5);
    expect(task(await planOf(`Fetch ${API}/slow (timeout: 2 seconds)`), "fetch_slow").action_config.timeout).toBe(2);
    const retried = task(await planOf(`Fetch ${API}/users with 3 retries and save to u.json`), "fetch_users");
    expect(retried.retry).toEqual({ max_attempts: 4, backoff_ms: 500, max_backoff_ms: 30_000 });
  });

  it("a header given as 'Name: value'", async () => {
    const plan = await planOf(`Fetch ${API}/users with header 'Authorization: Bearer abc' and save to a.json`);
    expect(task(plan, "fetch_users").action_config.headers).toEqual({ Authorization: "Bearer abc" });
  });

  it("'Execute SQL: select ... where a and b and save' keeps the SQL whole", async () => {
    const plan = await planOf("Execute SQL: select id, name from users where active = true and id > 2 and save the rows to output/a.json");
    expect(task(plan, "query").action_config.query).toBe("select id, name from users where active = true and id > 2");
  });

  it("SQL with a quoted ', then' inside and params", async () => {
    const quoted = await planOf("Run the SQL query SELECT * FROM t WHERE a = 'x, then y' then save to q.json");
    expect(task(quoted, "query").action_config.query).toBe("SELECT * FROM t WHERE a = 'x, then y'");
    const params = await planOf("run SELECT * FROM users WHERE id = $1 with params [3], then save to u.json");
    expect(task(params, "query").action_config).toEqual({ query: "SELECT * FROM users WHERE id = $1", params: [3] });
  });

  it("'load FILE, pick the fields a and b, then export it to FILE'", async () => {
    const plan = await planOf("Load data.json, pick the fields name and email, then export it to output/small.json");
    expect(task(plan, "pick").action_config).toEqual({
      input: "{{read_data.content}}",
      expression: planned([{ op: "pick", fields: ["name", "email"] }]),
    });
  });

  it("'keep only the fields name, email and city' and 'select name and email'", async () => {
    const keep = await planOf(`fetch ${API}/users, keep only the fields name, email and city, save to f.json`);
    expect(task(keep, "pick").action_config.expression).toBe(planned([{ op: "pick", fields: ["name", "email", "city"] }]));
    const select = await planOf(`fetch ${API}/users, select name and email, save to f.json`);
    expect(task(select, "pick").action_config.expression).toBe(planned([{ op: "pick", fields: ["name", "email"] }]));
  });

  it("typed filter values: numbers, quoted strings, booleans, lists and ranges", async () => {
    const ops = async (clause: string) => task(await planOf(`Fetch ${API}/posts, ${clause}`), "filter").action_config.expression;
    expect(await ops("filter likes > 10 and userId is 2")).toEqual(
      planned([
        { op: "filter", field: "likes", operator: ">", value: 10 },
        { op: "filter", field: "userId", operator: "==", value: 2 },
      ]),
    );
    expect(await ops("where title is '42'")).toEqual(planned([{ op: "filter", field: "title", operator: "==", value: "42" }]));
    expect(await ops("keep only items where city is one of Oslo, Lima")).toEqual(
      planned([{ op: "filter", field: "city", operator: "in", value: ["Oslo", "Lima"] }]),
    );
    expect(await ops("filter where likes between 5 and 10")).toEqual(
      planned([
        { op: "filter", field: "likes", operator: ">=", value: 5 },
        { op: "filter", field: "likes", operator: "<=", value: 10 },
      ]),
    );
    expect(await ops("keep posts with at least 3 likes")).toEqual(planned([{ op: "filter", field: "likes", operator: ">=", value: 3 }]));
    expect(await ops("filter city is Oslo or Lima")).toEqual(
      planned([{ op: "filter", field: "city", operator: "in", value: ["Oslo", "Lima"] }]),
    );
  });

  it("'exclude posts where userId == 1' negates the condition", async () => {
    const plan = await planOf(`Get ${API}/posts, exclude posts where userId == 1, save to x.json`);
    expect(task(plan, "filter").action_config.expression).toBe(planned([{ op: "filter", field: "userId", operator: "!=", value: 1 }]));
  });

  it("'keep only users with name contains 'a', then count them'", async () => {
    const plan = await planOf(
      `Fetch ${API}/users and keep only users with name contains 'a', then count them and save the count to c.json`,
    );
    expect(task(plan, "filter_count").action_config.expression).toBe(
      planned([{ op: "filter", field: "name", operator: "contains", value: "a" }, { op: "count" }]),
    );
    expect(task(plan, "save").action_config.content).toBe("{{filter_count.data}}");
  });

  it("'rename name to full_name and email to mail'", async () => {
    const plan = await planOf(`Fetch ${API}/users, rename name to full_name and email to mail, save to r.json`);
    expect(task(plan, "rename").action_config.expression).toBe(planned([{ op: "rename", fields: { name: "full_name", email: "mail" } }]));
  });

  it("'after fetching URL, save it to FILE' and 'download URL to FILE'", async () => {
    const after = await planOf(`After fetching ${API}/users, save it to u.json`);
    expect(shape(after)).toEqual(["fetch_users:api_call", "save:file_operation"]);
    const to = await planOf(`Download ${API}/users to output/u.json`);
    expect(shape(to)).toEqual(["fetch_users:api_call", "save:file_operation"]);
    expect(task(to, "save").action_config).toMatchObject({ path: "output/u.json", content: "{{fetch_users.data}}" });
  });

  it("'save it to a.json and b.json' writes twice; a second save gets a file-named id", async () => {
    const plan = await planOf(`Request ${API}/users and save it to a.json and b.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "save:file_operation", "save_b:file_operation"]);
    expect(task(plan, "save_b").action_config.content).toBe("{{fetch_users.data}}");
  });

  it("save raw, then filter the same data and save again", async () => {
    const plan = await planOf(`Fetch ${API}/users, save to raw.json, then keep only items where active is true and save to active.json`);
    expect(task(plan, "filter").action_config.input).toBe("{{fetch_users.data}}");
    expect(task(plan, "save_active").action_config.content).toBe("{{filter.data}}");
  });

  it("text files: write, create ... containing, append a line, touch, JSON content", async () => {
    expect(task(await planOf("Write 'abc' to notes/a.txt"), "write_a").action_config).toMatchObject({ operation: "write", content: "abc" });
    expect(task(await planOf("Create a file called notes.txt containing 'hi'"), "write_notes").action_config.content).toBe("hi");
    expect(task(await planOf("append the line 'done' to output/log.txt"), "append_log").action_config).toMatchObject({
      operation: "append",
      content: "done\n",
    });
    expect(task(await planOf("touch a.txt"), "write_a").action_config.content).toBe("");
    expect(task(await planOf('Write {"a":1} to config.json'), "write_config").action_config.content).toEqual({ a: 1 });
  });

  it("exists and list phrasings", async () => {
    expect(task(await planOf("does output/x.json exist?"), "check_x").action_config).toMatchObject({
      operation: "exists",
      path: "output/x.json",
    });
    expect(task(await planOf("check if output exists"), "check_output").action_config.path).toBe("output");
    expect(task(await planOf("list the contents of the output folder"), "list_files").action_config.path).toBe("output");
    expect(task(await planOf("list files in the workspace"), "list_files").action_config.path).toBe(".");
  });

  it("'get the number of posts from URL' and 'count the posts at URL to FILE' count", async () => {
    const number = await planOf(`Get the number of posts from ${API}/posts and save it to n.json`);
    expect(shape(number)).toEqual(["fetch_posts:api_call", "count:transform_data", "save:file_operation"]);
    expect(task(number, "count").action_config).toEqual({ input: "{{fetch_posts.data}}", expression: planned([{ op: "count" }]) });
    const to = await planOf(`Count the posts at ${API}/posts to c.json`);
    expect(task(to, "save").action_config).toMatchObject({ path: "c.json", content: "{{count.data}}" });
  });

  it("a POST with no body after data sends that data; after a wait it sends none", async () => {
    const withData = await planOf(`Fetch ${API}/users, wait 1 second, then POST to ${API}/items`);
    expect(task(withData, "post_items").action_config).toEqual({ method: "POST", url: `${API}/items`, body: "{{fetch_users.data}}" });
    expect(task(withData, "post_items").dependencies).toEqual(["wait", "fetch_users"]);
    const empty = await planOf(`Wait 1 second, then POST to ${API}/items`);
    expect(task(empty, "post_items").action_config).toEqual({ method: "POST", url: `${API}/items` });
  });

  it("{{variables}} stand for a URL or a path", async () => {
    const result = await planner.plan({
      goal: "Fetch {{base_url}}/users and save to {{out}}",
      variables: { base_url: API, out: "o.json" },
    });
    const plan = validatePlan(result.plan, { variables: ["base_url", "out"] });
    expect(task(plan, "fetch_users").action_config).toEqual({ method: "GET", url: "{{base_url}}/users" });
    expect(task(plan, "save").action_config).toEqual({ operation: "write", path: "{{out}}", content: "{{fetch_users.data}}" });
  });

  it("upper-case verbs", async () => {
    const plan = await planOf(`FETCH ${API}/users AND SAVE TO out/U.json`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "save:file_operation"]);
  });
});

describe("RulePlanner refuses what it does not understand", () => {
  it("an empty goal", async () => {
    const e = await refusal("   ");
    expect(e.understood).toEqual([]);
    expect(e.notUnderstood).toEqual(["(the goal is empty)"]);
  });

  it("'Make me a sandwich'", async () => {
    const e = await refusal("Make me a sandwich");
    expect(e.understood).toEqual([]);
    expect(e.notUnderstood).toEqual(["Make me a sandwich"]);
    expect(e.message).toContain("OPENAI_API_KEY");
    expect(e.message).toContain("plan file");
  });

  it("'Fetch ... and frobnicate them' names the unknown part and what it understood", async () => {
    const e = await refusal("Fetch http://x/users and frobnicate them");
    expect(e.understood).toEqual(["fetch GET http://x/users"]);
    expect(e.notUnderstood).toEqual(["frobnicate them"]);
  });

  it("'save to out.json' with nothing to save", async () => {
    const e = await refusal("save to out.json");
    expect(e.notUnderstood).toEqual(["save to out.json (nothing before it produces data to save)"]);
  });

  it("'filter' with nothing to filter", async () => {
    const e = await refusal("filter active is true");
    expect(e.notUnderstood).toEqual(["filter active is true (nothing before it produces data to transform)"]);
  });

  it("a filter over two unmerged results", async () => {
    const e = await refusal(`Fetch ${API}/users and ${API}/posts and filter active is true`);
    expect(e.understood).toEqual([`fetch GET ${API}/users`, `fetch GET ${API}/posts`]);
    expect(e.notUnderstood).toEqual([
      "filter active is true (it could apply to 2 results (fetch_users, fetch_posts); merge them first or handle one at a time)",
    ]);
  });

  it("'save it' without a path", async () => {
    const e = await refusal(`Fetch ${API}/users and save it`);
    expect(e.notUnderstood).toEqual(["save it (say where to save it, e.g. save it to output/result.json)"]);
  });

  it("selecting words it would ignore: 'the latest posts', 'the active users', 'the top 3'", async () => {
    expect((await refusal(`Fetch the latest posts from ${API}/posts`)).notUnderstood).toEqual([`Fetch the latest posts from ${API}/posts`]);
    expect((await refusal(`Fetch ${API}/users, keep only the active users, save to x.json`)).notUnderstood).toEqual([
      "keep only the active users",
    ]);
    expect((await refusal(`Fetch ${API}/users, save the top 3 to x.json`)).notUnderstood).toEqual(["save the top 3 to x.json"]);
  });

  // Before field selections, "the names" was refused here; now it is planned (a select the transform
  // runs, failing if no item has name/names), and a word that can never be a field is still refused.
  it("a noun that is not the source: 'get the names from URL' selects the field; 'the newest' is refused", async () => {
    const plan = await planOf(`Get the names from ${API}/users`);
    expect(shape(plan)).toEqual(["fetch_users:api_call", "select:transform_data"]);
    expect(task(plan, "select").action_config).toEqual({
      input: "{{fetch_users.data}}",
      expression: planned([{ op: "select", fields: [["name", "names"]] }]),
    });
    expect((await refusal(`Get the newest from ${API}/users`)).notUnderstood).toEqual([`Get the newest from ${API}/users`]);
  });

  // Before "the last N" was supported, "take the last 3" was refused here; now it is planned, and a
  // "last N by FIELD" (which order is "last"?) is refused.
  it("'or' between conditions; 'the last 3' is planned, 'the last 3 by likes' refused", async () => {
    expect((await refusal(`Fetch ${API}/users, keep items where active is true or city is Oslo`)).notUnderstood).toEqual([
      'keep items where active is true or city is Oslo ("or" between conditions is not supported ("active is true or city is Oslo"))',
    ]);
    const last = await planOf(`Fetch ${API}/users, take the last 3`);
    expect(task(last, "last").action_config.expression).toBe(planned([{ op: "last", count: 3 }]));
    expect((await refusal(`Fetch ${API}/users, take the last 3 by likes`)).notUnderstood).toEqual(["take the last 3 by likes"]);
  });

  it("an unquoted value that runs into the next step, and a folder as a file to write", async () => {
    expect((await refusal(`Fetch ${API}/users and where active is true save to x.json`)).notUnderstood).toEqual([
      `where active is true save to x.json ("true save to x.json" is not a value I can read (quote text values: 'like this'))`,
    ]);
    expect((await refusal(`Fetch ${API}/users and save to output/`)).notUnderstood).toEqual(["save to output/"]);
  });

  it("merge with one result", async () => {
    const e = await refusal(`Fetch ${API}/users then merge them`);
    expect(e.notUnderstood).toEqual(["merge them (merge needs two or more results before it, found 1)"]);
  });

  it("unsupported steps: print, convert to CSV, repeat every N minutes", async () => {
    expect((await refusal(`Fetch ${API}/users and print it`)).notUnderstood).toEqual(["print it"]);
    const csv = await refusal(`Fetch ${API}/users, convert to CSV and save to u.csv`);
    expect(csv.notUnderstood).toEqual(["convert to CSV"]);
    expect(csv.understood).toEqual([`fetch GET ${API}/users`, "save the data so far to u.csv"]);
    expect((await refusal(`Fetch ${API}/users every 5 minutes`)).notUnderstood).toEqual([`Fetch ${API}/users every 5 minutes`]);
  });

  it("out-of-range numbers: a zero timeout, a 100-hour wait", async () => {
    expect((await refusal(`Fetch ${API}/users with a timeout of 0 seconds`)).notUnderstood).toEqual([
      `Fetch ${API}/users with a timeout of 0 seconds (a timeout must be more than 0 and at most 3600 seconds)`,
    ]);
    expect((await refusal("wait 100 hours")).notUnderstood).toEqual(["wait 100 hours (a wait is at most 24 hours)"]);
  });

  it("'delete it' and 'sort ... then by id'", async () => {
    expect((await refusal("Delete it")).notUnderstood).toEqual(["Delete it"]);
    const e = await refusal(`Fetch ${API}/users, sort by name then by id`);
    expect(e.understood).toEqual([`fetch GET ${API}/users`, "sort by name (ascending)"]);
    expect(e.notUnderstood).toEqual(["by id"]);
  });
});
