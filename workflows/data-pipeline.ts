import { z } from "zod";
import {
  ErrorCode,
  TransformOperation,
  WorkflowError,
  type PlanInput,
  type RunOptions,
  type TaskSpecInput,
  type WorkflowEngine,
  type WorkflowResult,
} from "../src/index.js";

/**
 * Turns rows (an array of objects, or one object) into CSV text: a header with every key in first-seen order,
 * then one line per row. Fields holding a comma, a quote or a line break are quoted, quotes doubled (RFC 4180);
 * null and missing fields are empty; arrays and objects are written as JSON. Lines end with \n.
 */
export const CSV_EXPRESSION = `(
  $rows := $type($) = "array" ? $ : [$];
  $cols := $distinct($rows.$keys($));
  $cell := function($v){ (
    $s := $type($v) = "string" ? $v : ($exists($v) and $type($v) != "null" ? $string($v) : "");
    $contains($s, /[",\\r\\n]/) ? '"' & $replace($s, '"', '""') & '"' : $s
  ) };
  $line := function($values){ $join($values, ",") };
  $count($rows) = 0 ? "" : $join($append(
    [$line($map($cols, $cell))],
    $map($rows, function($r){ $line($map($cols, function($c){ $cell($lookup($r, $c)) })) })
  ), "\\n") & "\\n"
)`;

/** The data_pipeline's input; `transformations` are transform_data operations, applied in order. */
export const DataPipelineInput = z.strictObject({
  /** Where the JSON comes from (GET). */
  sourceUrl: z.url({ protocol: /^https?$/, error: "sourceUrl must be an http(s) URL" }),
  /** Relative to the workspace; `.csv` writes CSV there and JSON beside it (same name, `.json`). */
  destinationPath: z.string().min(1, "destinationPath is required"),
  /** filter, rename, pick, sort, limit, map (derived fields: `{op: "map", fields: {name: "<JSONata>"}}`), ... */
  transformations: z.array(TransformOperation).default([]),
  /** Fields every row must have (not null) after the transformations; default: the last `pick`'s fields. */
  requiredFields: z.array(z.string().min(1)).optional(),
});
export type DataPipelineInput = z.input<typeof DataPipelineInput>;

/** Fetch JSON, transform it, validate it, write it (JSON, and CSV for a `.csv` destination). */
export function dataPipelinePlan(input: DataPipelineInput): PlanInput {
  const cfg = parse(input);
  const csv = /\.csv$/i.test(cfg.destinationPath);
  const jsonPath = csv ? cfg.destinationPath.replace(/\.csv$/i, ".json") : cfg.destinationPath;
  const required = cfg.requiredFields ?? cfg.transformations.findLast((op) => op.op === "pick")?.fields ?? [];
  const tasks: TaskSpecInput[] = [
    { id: "fetch", name: `Fetch ${cfg.sourceUrl}`, action_type: "api_call", action_config: { method: "GET", url: cfg.sourceUrl } },
    {
      id: "transform",
      name: `Apply ${cfg.transformations.length} transformations`,
      action_type: "transform_data",
      action_config:
        cfg.transformations.length > 0
          ? { input: "{{fetch.data}}", operations: cfg.transformations }
          : { input: "{{fetch.data}}", expression: "$" },
    },
    {
      id: "validate",
      name: `Check that every row has ${required.length > 0 ? required.join(", ") : "the shape of a record"}`,
      action_type: "transform_data",
      action_config: { input: "{{transform.data}}", expression: validationExpression(required) },
    },
    {
      id: "write_json",
      name: `Write ${jsonPath}`,
      action_type: "file_operation",
      action_config: { operation: "write", path: jsonPath, content: "{{validate.data}}" },
    },
  ];
  if (csv) tasks.push(...csvTasks(cfg.destinationPath));
  return { goal: `Data pipeline: ${cfg.sourceUrl} -> ${cfg.destinationPath}`, tasks };
}

/** Build the data_pipeline plan and run it on `engine`; resolves with the result whatever its status. */
export async function runDataPipeline(engine: WorkflowEngine, input: DataPipelineInput, options: RunOptions = {}): Promise<WorkflowResult> {
  return engine.run(dataPipelinePlan(input), options);
}

/** The same as a class, for callers that keep one engine and run the pipeline many times. */
export class DataPipeline {
  constructor(private readonly engine: WorkflowEngine) {}

  /** Run the pipeline with `input`. */
  run(input: DataPipelineInput, options: RunOptions = {}): Promise<WorkflowResult> {
    return runDataPipeline(this.engine, input, options);
  }
}

/**
 * Fails the task (JSONata `$assert`, so TRANSFORM_ERROR) when a row is not an object or lacks a required field,
 * naming the first such row; otherwise passes the rows through unchanged.
 */
export function validationExpression(required: readonly string[]): string {
  return `(
  $required := ${JSON.stringify(required)};
  $rows := $type($) = "array" ? $ : [$];
  $missing := function($r){ $type($r) = "object"
    ? $filter($required, function($f){ ($v := $lookup($r, $f); $not($exists($v)) or $type($v) = "null") })
    : ["(not an object)"] };
  $problems := $filter($map($rows, function($r, $i){ {"row": $i + 1, "missing": $missing($r)} }),
    function($p){ $count($p.missing) > 0 });
  $first := $problems[0];
  $assert($count($problems) = 0, "validation failed: " & $count($problems) & " of " & $count($rows) &
    " rows are invalid; row " & $first.row & " lacks " & $join($first.missing, ", ") &
    " (required: " & $join($required, ", ") & ")");
  $
)`;
}

function csvTasks(path: string): TaskSpecInput[] {
  return [
    {
      id: "to_csv",
      name: "Render the rows as CSV text",
      action_type: "transform_data",
      action_config: { input: "{{validate.data}}", expression: CSV_EXPRESSION },
    },
    {
      id: "write_csv",
      name: `Write ${path}`,
      action_type: "file_operation",
      action_config: { operation: "write", path, content: "{{to_csv.data}}" },
    },
  ];
}

function parse(input: DataPipelineInput): z.output<typeof DataPipelineInput> {
  const parsed = DataPipelineInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
  throw new WorkflowError(ErrorCode.ConfigInvalid, `data_pipeline: invalid input: ${problems}.`, {
    details: { workflow: "data_pipeline" },
  });
}
