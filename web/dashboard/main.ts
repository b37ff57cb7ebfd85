// The dashboard's entry: hash routing between the home page (start box and runs list) and a run's page.
import { setToken } from "./api.js";
import { el, replaceChildren } from "./dom.js";
import { mountRunPage } from "./run-page.js";
import { mountRunsList } from "./runs-list.js";
import { mountStartRun } from "./start-run.js";

const app = document.getElementById("app");
let dispose: (() => void) | undefined;

function route(): void {
  if (!app) return;
  dispose?.();
  const match = /^#\/runs\/(.+)$/.exec(location.hash);
  if (match?.[1]) {
    dispose = mountRunPage(app, decodeURIComponent(match[1]));
    return;
  }
  const start = el("section", { class: "card" });
  const list = el("section", { class: "card" });
  replaceChildren(app, start, list);
  mountStartRun(start, (runId) => {
    location.hash = `#/runs/${encodeURIComponent(runId)}`;
  });
  dispose = mountRunsList(list);
}

// A server bound beyond loopback wants a bearer token: it can be given here, once per tab.
const tokenForm = document.getElementById("token-form");
tokenForm?.addEventListener("submit", (e) => {
  e.preventDefault();
  const field = tokenForm.querySelector("input");
  setToken(field?.value ?? "");
  if (field) field.value = "";
  route();
});

window.addEventListener("hashchange", route);
route();
