import { ApiError } from "./api.js";
import { el, replaceChildren } from "./dom.js";

/** What went wrong, as the API said it (`CODE: message`). */
function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Shows an error in a page's notice area (as text), or clears it. */
export function showError(area: HTMLElement, error: unknown): void {
  if (error === undefined) replaceChildren(area);
  else replaceChildren(area, el("p", { class: "error", role: "alert" }, errorText(error)));
}
