import { GENERIC_WORDS, STRUCTURAL_WORDS } from "./vocabulary.js";

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How often a word, or its singular/plural, stands in the goal ("user" matches "/users"). */
function occurrences(goal: string, word: string): number {
  const stem = word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word;
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegex(stem)}(?:e?s)?(?![\\p{L}\\p{N}_])`, "gu");
  return goal.match(re)?.length ?? 0;
}

/** Whether one word of a noun phrase only names data already in the goal. */
function isDescriptive(word: string, goal: string): boolean {
  if (GENERIC_WORDS.has(word) || word === "and") return true;
  if (STRUCTURAL_WORDS.has(word) || /^\d/.test(word)) return false;
  // a word said elsewhere ("the users" of /users, "the active users" after "where active is true")
  // restates what the goal already asks for; any other word might ask for something the plan would not do
  return occurrences(goal, word) >= 2;
}

/**
 * Whether a noun phrase names data without asking for anything more: "it", "them", "the results",
 * "the users" (of /users), "the active users" (only when "active" is said elsewhere in the goal).
 * "the latest posts" or "the names" (when nothing else mentions them) is refused, never ignored.
 */
export function isDataPhrase(text: string, goal: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === "") return true;
  if (/[^\p{L}\p{N}\s'-]/u.test(t)) return false;
  const words = t.replace(/^all\s+of\s+/, "").split(/\s+/);
  if (words.length > 6) return false;
  return words.every((w) => isDescriptive(w, goal));
}
