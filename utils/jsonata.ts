import { createRequire } from "node:module";
import type jsonataModule from "jsonata";

type Jsonata = typeof jsonataModule;
let loaded: Jsonata | undefined;

/**
 * jsonata(expression), with the library loaded at the first call rather than at start-up: plan schemas and the
 * rule planner check expressions synchronously, yet most runs hold none. jsonata is CommonJS, so a synchronous
 * require loads it; Node caches it like any import.
 */
export function jsonata(...args: Parameters<Jsonata>): ReturnType<Jsonata> {
  loaded ??= createRequire(import.meta.url)("jsonata") as Jsonata;
  return loaded(...args);
}
