import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { Logger } from "../../utils/logger.js";
import { ErrorCode, ensureWorkflowError, WorkflowError } from "../model/errors.js";
import { inputIssues } from "../model/zod-issues.js";

/** The HTTP status of each engine error code a request can end with; anything else is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.InputInvalid]: 400,
  [ErrorCode.ConfigInvalid]: 400,
  [ErrorCode.PlanInvalid]: 400,
  [ErrorCode.PlanCycle]: 400,
  [ErrorCode.PlanTooLarge]: 413,
  [ErrorCode.PlanRefused]: 422,
  [ErrorCode.GoalNotUnderstood]: 422,
  [ErrorCode.ActionConfigInvalid]: 400,
  [ErrorCode.TemplateUnresolved]: 400,
  [ErrorCode.SecretUnavailable]: 422,
  [ErrorCode.LlmBudget]: 422,
  [ErrorCode.Llm]: 502,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.RunNotFound]: 404,
  [ErrorCode.ScheduleNotFound]: 404,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.RunExists]: 409,
  [ErrorCode.RunFinished]: 409,
  [ErrorCode.RunBusy]: 409,
  [ErrorCode.NotAwaitingApproval]: 409,
  [ErrorCode.ApprovalRefused]: 409,
  [ErrorCode.InputTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ServerDraining]: 503,
  [ErrorCode.RedisUnavailable]: 503,
  [ErrorCode.DatabaseBusy]: 503,
  [ErrorCode.WorkflowInvalid]: 400,
  [ErrorCode.WorkflowNotFound]: 404,
  [ErrorCode.WorkflowExists]: 409,
};

/** The status an error is answered with. */
function httpStatusOf(error: WorkflowError): number {
  return STATUS[error.code] ?? 500;
}

/** The one shape of every error answer. */
export function errorBody(error: WorkflowError): { error: { code: string; message: string; details?: Record<string, unknown> } } {
  const details = Object.keys(error.details).length ? { details: error.details } : {};
  return { error: { code: error.code, message: error.message, ...details } };
}

/** Fastify's own errors (a body too large, bad JSON, an unsupported media type) as engine errors. */
function fromFastify(err: FastifyError): WorkflowError | undefined {
  if (err instanceof WorkflowError) return err;
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new WorkflowError(ErrorCode.InputTooLarge, `The request body is larger than the server's limit: ${err.message}.`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new WorkflowError(ErrorCode.InputInvalid, `${err.message}; send JSON with Content-Type: application/json.`);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new WorkflowError(ErrorCode.InputInvalid, `The request body is not valid JSON: ${err.message}.`);
    default:
      if (err.statusCode === 400 && err.code === "FST_ERR_VALIDATION") return new WorkflowError(ErrorCode.InputInvalid, err.message);
      if (err instanceof SyntaxError)
        return new WorkflowError(ErrorCode.InputInvalid, `The request body is not valid JSON: ${err.message}.`);
      return undefined;
  }
}

/** Every error becomes `{error: {code, message}}` with its status; an unexpected one is logged and hidden. */
export function errorHandler(logger: Logger) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = fromFastify(err);
    const error = known ?? ensureWorkflowError(err);
    const status = httpStatusOf(error);
    if (status >= 500 && error.code === ErrorCode.Internal) {
      logger.error({ err: error.message, method: request.method, url: request.url }, "request failed");
      return reply.status(500).send(errorBody(new WorkflowError(ErrorCode.Internal, "The server failed to answer; see its log.")));
    }
    return reply.status(status).send(errorBody(error));
  };
}

/**
 * Fastify's validator for the routes' zod schemas: a bad field answers INPUT_INVALID naming where it is
 * (`body.plan.tasks[0].action_type`), the value given and what is allowed.
 */
export function zodValidator({ schema, httpPart }: { schema: z.ZodType; httpPart?: string }) {
  const part = httpPart === "querystring" ? "query" : (httpPart ?? "body");
  return (data: unknown) => {
    // A request without a body comes as null: the same as none, so a body's defaults apply.
    const parsed = schema.safeParse(part === "body" && data === null ? undefined : data, { reportInput: true });
    if (parsed.success) return { value: parsed.data };
    const issues = inputIssues(parsed.error, part);
    const message = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return { error: new WorkflowError(ErrorCode.InputInvalid, message, { details: { issues } }) };
  };
}
