import { GENERIC_WORDS, SELECTING_WORDS, STRUCTURAL_WORDS } from "./vocabulary.js";

function occurrences(goal: string, word: string): number {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return goal.match(new RegExp(`(?<![\\w])${escaped}(?![\\w])`, "g"))?.length ?? 0;
}

/** Whether one word of a noun phrase only describes the data ("results", "weather") rather than asking for more. */
function isDescriptive(word: string, goal: string): boolean {
  if (GENERIC_WORDS.has(word) || word === "and") return true;
  if (STRUCTURAL_WORDS.has(word) || /^\d/.test(word)) return false;
  // a word said elsewhere in the goal ("the active users" after "where active is true") restates it
  if (occurrences(goal, word) >= 2) return true;
  // selecting adjectives, superlatives and participles ("latest", "approved") ask for more
  return !SELECTING_WORDS.has(word) && !/(?:est|ed)$/.test(word);
}

/**
 * Whether a noun phrase names data without asking for anything: "it", "them", "the results",
 * "the users", "the active users" (only when "active" is said elsewhere in the goal). A phrase
 * that might ask for an operation the plan would not do ("the latest posts") is refused.
 */
export function isDataPhrase(text: string, goal: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === "") return true;
  if (/[^\p{L}\p{N}\s'-]/u.test(t)) return false;
  const words = t.replace(/^all\s+of\s+/, "").split(/\s+/);
  if (words.length > 6) return false;
  return words.every((w) => isDescriptive(w, goal));
}
