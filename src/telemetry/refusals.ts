/**
 * The guard each refusal code comes from (README "Safety"): what `workflow_refusals_total` counts by. Failures
 * that are not refusals (an HTTP status, a timeout of the remote side) are not here.
 */
const GUARDS: Readonly<Record<string, string>> = {
  NETWORK_REFUSED: "network",
  SQL_REFUSED: "sql",
  APPROVAL_REFUSED: "approval",
  APPROVAL_REJECTED: "approval",
  SECRET_UNAVAILABLE: "secrets",
  ROW_LIMIT: "limits",
  FILE_TOO_LARGE: "limits",
  RESPONSE_TOO_LARGE: "limits",
  RESULT_TOO_LARGE: "limits",
  TRANSFORM_LIMIT: "limits",
  TASK_TIMEOUT: "limits",
  RUN_DEADLINE: "limits",
  PLAN_TOO_LARGE: "limits",
};

/** The guard that refused, for a refusal's code; undefined for any other code. */
export function guardOf(code: string | undefined): string | undefined {
  return code === undefined ? undefined : GUARDS[code];
}
