/**
 * How mutating tasks (non-GET api_call, SQL writes, file write/append/delete) are let through:
 * auto runs them; ask asks a person (on a terminal, or by pausing the run until `runs approve`/`reject`);
 * never refuses them. Its own file, free of zod, so the CLI can describe its flags before zod loads.
 */
export const ApproveMode = ["auto", "ask", "never"] as const;
export type ApproveMode = (typeof ApproveMode)[number];
