import { ErrorCode, WorkflowError, type PlanInput, type RunOptions, type WorkflowEngine, type WorkflowResult } from "../src/index.js";
import { DEMO_CREDENTIALS } from "./demo-credentials.js";
import { type ApiOrchestrationInput, apiOrchestrationPlan } from "./api-orchestration.js";
import { type DataPipelineInput, dataPipelinePlan } from "./data-pipeline.js";
import { type JobExecutionInput, jobExecutionPlan } from "./job-execution.js";

export * from "./api-orchestration.js";
export * from "./data-pipeline.js";
export * from "./job-execution.js";

export const ExampleName = ["data_pipeline", "api_orchestration", "job_execution"] as const;
export type ExampleName = (typeof ExampleName)[number];

/**
 * A prebuilt workflow with inputs that fit the demo API (or any API with its routes) at `baseUrl`. Each is a
 * workflow file of this folder (`<name>.yaml`, in the library); the typed `...Plan` functions stay for code users.
 */
export interface Example {
  /** One line, for `--example` without a name. */
  description: string;
  /** The inputs of the library workflow for the API at `baseUrl`. */
  inputs(baseUrl: string): Record<string, unknown>;
  /** The plan the typed function builds against `baseUrl` (no trailing slash). */
  plan(baseUrl: string): PlanInput;
  /** Run the library workflow on `engine` against `baseUrl`. */
  run(engine: WorkflowEngine, baseUrl: string, options?: RunOptions): Promise<WorkflowResult>;
}

/** The library workflows' inputs for the demo API at `baseUrl` (the same work as the demo inputs of the typed functions). */
const DEMO_INPUTS: Record<ExampleName, (baseUrl: string) => Record<string, unknown>> = {
  data_pipeline: (url) => {
    const demo = demoDataPipeline(url);
    return {
      source_url: demo.sourceUrl,
      json_path: "output/products.json",
      csv_path: demo.destinationPath,
      transformations: demo.transformations,
    };
  },
  api_orchestration: (url) => ({ base_url: url, credentials: { ...DEMO_CREDENTIALS }, output_path: "output/api_orchestration.json" }),
  job_execution: (url) => {
    const demo = demoJobExecution(url);
    return {
      api_url: url,
      job_config: demo.jobConfig,
      monitor_interval: demo.monitorInterval,
      timeout: demo.timeout,
      result_path: demo.resultPath,
    };
  },
};

/** The data_pipeline's demo input: in-stock products, a derived price with VAT, renamed, picked, sorted, CSV. */
export function demoDataPipeline(baseUrl: string): DataPipelineInput {
  return {
    sourceUrl: `${baseUrl}/products`,
    destinationPath: "output/products.csv",
    transformations: [
      { op: "filter", field: "in_stock", operator: "==", value: true },
      { op: "map", fields: { price_with_vat: "$round(price * 1.25, 2)" } },
      { op: "rename", fields: { name: "product" } },
      { op: "pick", fields: ["id", "product", "category", "price", "price_with_vat"] },
      { op: "sort", by: "price", order: "desc" },
    ],
  };
}

/** The api_orchestration's demo input: log in, then fetch customers and orders with the token, in parallel. */
export function demoApiOrchestration(baseUrl: string): ApiOrchestrationInput {
  const auth = { Authorization: "Bearer {{login.data.token}}" };
  return {
    strategy: "parallel",
    outputPath: "output/api_orchestration.json",
    apiCalls: [
      { name: "login", method: "POST", url: `${baseUrl}/auth/login`, body: { ...DEMO_CREDENTIALS } },
      { name: "customers", method: "GET", url: `${baseUrl}/customers`, headers: auth, depends_on: ["login"] },
      { name: "orders", method: "GET", url: `${baseUrl}/orders`, headers: auth, depends_on: ["login"] },
    ],
  };
}

/** The job_execution's demo input: an inventory report job, polled every half second for at most a minute. */
export function demoJobExecution(baseUrl: string): JobExecutionInput {
  return {
    apiUrl: baseUrl,
    jobConfig: { type: "inventory_report" },
    monitorInterval: 0.5,
    timeout: 60,
    resultPath: "output/job_result.json",
  };
}

/** Every prebuilt workflow by name; a missing name is a compile error. */
export const EXAMPLES: Record<ExampleName, Example> = {
  data_pipeline: example(
    "data_pipeline",
    "fetch products, keep those in stock, add price_with_vat, rename/pick/sort, validate, write output/products.json and .csv",
    (url) => dataPipelinePlan(demoDataPipeline(url)),
  ),
  api_orchestration: example(
    "api_orchestration",
    "log in, then fetch customers and orders in parallel with the bearer token, write output/api_orchestration.json",
    (url) => apiOrchestrationPlan(demoApiOrchestration(url)),
  ),
  job_execution: example(
    "job_execution",
    "submit a report job, poll its status until done (api_call until), fetch its result into output/job_result.json",
    (url) => jobExecutionPlan(demoJobExecution(url)),
  ),
};

/** The example called `name`; CONFIG_INVALID naming the valid ones otherwise. */
export function getExample(name: string): Example {
  if ((ExampleName as readonly string[]).includes(name)) return EXAMPLES[name as ExampleName];
  throw new WorkflowError(ErrorCode.ConfigInvalid, `Unknown example "${name}". The examples are: ${ExampleName.join(", ")}.`, {
    details: { example: name, valid: [...ExampleName] },
  });
}

function example(name: ExampleName, description: string, plan: (baseUrl: string) => PlanInput): Example {
  const inputs = (baseUrl: string) => DEMO_INPUTS[name](trimSlash(baseUrl));
  return {
    description,
    inputs,
    plan: (baseUrl) => plan(trimSlash(baseUrl)),
    run: (engine, baseUrl, options = {}) => engine.run({ workflow: name, inputs: inputs(baseUrl) }, options),
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
