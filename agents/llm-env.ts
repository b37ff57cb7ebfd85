/** An unset variable and an empty one (`OPENAI_BASE_URL=`) mean the same thing. */
export const blankAsUnset = (value: unknown): unknown => (typeof value === "string" && value.trim() === "" ? undefined : value);

/**
 * True when the environment asks for the LLM planner (OPENAI_API_KEY is set and not blank). Kept apart
 * from llm-config.ts so deciding costs nothing: the LLM client modules load only when they are used.
 */
export function isLlmConfigured(env: Record<string, string | undefined>): boolean {
  return blankAsUnset(env.OPENAI_API_KEY) !== undefined;
}
