import { PURE_REFERENCE } from "../model/template-schema.js";
import { parseReference } from "./template.js";

/** The names a `for_each` task's config reads its item by: `{{item}}` (and `{{item.path}}`) and `{{index}}`. */
export const LOOP_ROOTS = ["item", "index"] as const;

const REFERENCE = /\{\{([^{}]+)\}\}/g;

/**
 * Bind `{{item...}}` and `{{index}}` in a loop task's config to one item; every other reference is left for
 * launch time. A string that is exactly one such reference takes the value's type; inside text it is
 * stringified. A path the item lacks becomes null (the item is data, not a plan the validator saw).
 */
export function bindLoopItem(value: unknown, item: unknown, index: number): unknown {
  if (typeof value === "string") {
    if (!value.includes("{{")) return value;
    const pure = PURE_REFERENCE.exec(value);
    if (pure) {
      const found = lookup(pure[1] ?? "", item, index);
      if (found.bound) return found.value;
    }
    return value.replace(REFERENCE, (whole, inner: string) => {
      const found = lookup(inner, item, index);
      if (!found.bound) return whole;
      return typeof found.value === "string" ? found.value : (JSON.stringify(found.value) ?? "");
    });
  }
  if (Array.isArray(value)) return value.map((v) => bindLoopItem(v, item, index));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: bindLoopItem(v, item, index), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function lookup(inner: string, item: unknown, index: number): { bound: boolean; value?: unknown } {
  const ref = parseReference(inner);
  if (!ref) return { bound: false };
  if (ref.root === "index") return { bound: true, value: index };
  if (ref.root !== "item") return { bound: false };
  let current: unknown = item;
  for (const key of ref.path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return { bound: true, value: null };
    current = (current as Record<string | number, unknown>)[key];
  }
  return { bound: true, value: current };
}
