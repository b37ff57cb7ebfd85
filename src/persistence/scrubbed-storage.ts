import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { ListRunsOptions, RunRecord, RunStore } from "./run-store.js";

/** LangGraph's `SerializerProtocol` (dumpsTyped / loadsTyped), as the savers hold it. */
type SerializerProtocol = BaseCheckpointSaver["serde"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A checkpoint serializer that scrubs secrets before anything is stored. Every saver (SQLite,
 * PostgreSQL, memory) writes checkpoints, their metadata and pending writes through its `serde`, so
 * this is the one point where a run's state is made safe to keep. Loading is left to the inner serde:
 * what was stored is already scrubbed (a literal secret thus comes back as `[redacted]` on resume).
 */
export class ScrubbingSerializer implements SerializerProtocol {
  constructor(
    readonly inner: SerializerProtocol,
    readonly secrets: SecretScrubber,
  ) {}

  async dumpsTyped(data: unknown): Promise<[string, Uint8Array]> {
    const [type, bytes] = await this.inner.dumpsTyped(data);
    if (type !== "json") return [type, bytes];
    const text = decoder.decode(bytes);
    const scrubbed = this.secrets.scrubJson(text);
    return [type, scrubbed === text ? bytes : encoder.encode(scrubbed)];
  }

  loadsTyped(type: string, data: Uint8Array | string): Promise<unknown> {
    return this.inner.loadsTyped(type, data);
  }
}

/** Make `saver` scrub what it stores (its serde is wrapped in place, once per scrubber); returns it. */
export function scrubCheckpoints<T extends BaseCheckpointSaver>(saver: T, secrets: SecretScrubber): T {
  const current = saver.serde;
  if (!(current instanceof ScrubbingSerializer && current.secrets === secrets)) saver.serde = new ScrubbingSerializer(current, secrets);
  return saver;
}

/** Run records with their text (the goal may hold a secret) scrubbed before they are stored. */
export class ScrubbedRunStore implements RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly secrets: SecretScrubber,
  ) {}

  upsert(record: RunRecord): Promise<void> {
    return this.inner.upsert(this.secrets.scrub(record));
  }

  get(runId: string): Promise<RunRecord | undefined> {
    return this.inner.get(runId);
  }

  list(options?: ListRunsOptions): Promise<RunRecord[]> {
    return this.inner.list(options);
  }

  delete(runId: string): Promise<boolean> {
    return this.inner.delete(runId);
  }

  updatedBefore(cutoff: Date): Promise<string[]> {
    return this.inner.updatedBefore(cutoff);
  }
}
