/**
 * `{{env.NAME}}`: a reference to the environment variable NAME, resolved when the task starts and
 * never stored, so a secret can be given to a task without being written into the plan, a
 * checkpoint or the run history. Only plans the user wrote may use it (src/safety/secret-access.ts).
 */

/** The reserved reference root: `{{env.NAME}}`; no task or variable may be called this. */
export const ENV_ROOT = "env";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The part of a reference `lookup` needs. */
interface EnvRef {
  raw: string;
  root: string;
  path: (string | number)[];
}

/** The variable an `{{env.NAME}}` reference names, or undefined when it is not one. */
export function envNameOf(ref: EnvRef): string | undefined {
  if (ref.root !== ENV_ROOT || ref.path.length !== 1) return undefined;
  const [name] = ref.path;
  return typeof name === "string" && ENV_NAME.test(name) ? name : undefined;
}

/** What is wrong with a reference rooted at `env`, or undefined when it is a well-formed `{{env.NAME}}`. */
export function envReferenceIssue(ref: EnvRef): string | undefined {
  if (envNameOf(ref)) return undefined;
  return `{{${ref.raw}}}: "env" is reserved for {{env.NAME}}, which reads the environment variable NAME (letters, digits and _) when the task starts`;
}
