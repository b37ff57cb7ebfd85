import type { Duplex } from "node:stream";
import type pg from "pg";
import type { WorkflowError } from "../../model/errors.js";

/** pg-protocol's code of a DataRow message (`D`). */
const DATA_ROW = 0x44;
/** Any other server message (a notice, an error, a row description) larger than this is refused too, whatever the cap. */
const MIN_MESSAGE_CAP = 1024 * 1024;
const HEADER_BYTES = 5;
/** Where a client keeps its guard. */
const GUARD = Symbol("wfe.wireGuard");

/** Why the guard closed a connection: the message that crossed the cap. */
export interface WireRefusal {
  /** Bytes of the message that crossed it. */
  messageBytes: number;
  /** Bytes of DataRow messages received while armed, that message included. */
  totalBytes: number;
  /** True when one row alone was over the cap. */
  singleRow: boolean;
}

/**
 * A guard on one pg connection's socket, between the socket and pg-protocol's parser. It follows the message
 * framing (each backend message is a type byte and a 4-byte length), so it knows a message's size from its header,
 * before the parser buffers the body and decodes it into a string: a 600 MB value would otherwise make pg-protocol
 * throw ERR_STRING_TOO_LONG inside the socket's 'data' handler, an uncaught exception that ends the process.
 * While armed with a cap, a DataRow that would take the rows past it closes the connection with the refusal, and
 * the parser never sees its body. It also stands between the socket and the parser at all times: anything the
 * parser (or a handler it calls) throws closes the connection with that error, which pg hands to the query.
 */
export class WireGuard {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private bodyLeft = 0;
  private cap: number | undefined;
  private onRefuse: ((refusal: WireRefusal) => WorkflowError) | undefined;
  private total = 0;
  private stopped = false;
  private refusal: WireRefusal | undefined;

  private constructor(
    private readonly stream: Duplex,
    private readonly parsers: ((chunk: Buffer) => void)[],
  ) {}

  /** The guard of `client` (installed on first use, while the connection is idle at a message boundary). */
  static of(client: pg.PoolClient): WireGuard {
    const holder = client as pg.PoolClient & { [GUARD]?: WireGuard };
    const installed = holder[GUARD];
    if (installed) return installed;
    const stream = (client as unknown as { connection: { stream: Duplex } }).connection.stream;
    const parsers = stream.listeners("data") as ((chunk: Buffer) => void)[];
    stream.removeAllListeners("data");
    const guard = new WireGuard(stream, parsers);
    stream.on("data", (chunk: Buffer) => guard.onData(chunk));
    holder[GUARD] = guard;
    return guard;
  }

  /** Cap the DataRow bytes from now on (one query's result), until `disarm`; `refuse` makes the error the query fails with. */
  arm(maxBytes: number, refuse: (refusal: WireRefusal) => WorkflowError): void {
    this.cap = maxBytes;
    this.onRefuse = refuse;
    this.total = 0;
    this.refusal = undefined;
  }

  disarm(): void {
    this.cap = undefined;
    this.onRefuse = undefined;
  }

  /** The refusal that closed the connection while armed, if any. */
  get refused(): WireRefusal | undefined {
    return this.refusal;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    // The framing is followed always, armed or not, so the guard knows where each message starts.
    this.follow(chunk);
    if (this.stopped) return;
    try {
      for (const parse of this.parsers) parse(chunk);
    } catch (err) {
      this.stop(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Walk the message headers in `chunk` (bodies are skipped by their length); stop at a message over the cap. */
  private follow(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= take;
        at += take;
        continue;
      }
      this.header[this.headerFill++] = chunk[at++] as number;
      if (this.headerFill < HEADER_BYTES) continue;
      this.headerFill = 0;
      const length = this.header.readUInt32BE(1);
      this.bodyLeft = length - 4;
      if (!this.admit(this.header[0] as number, length + 1)) return;
    }
  }

  private admit(code: number, bytes: number): boolean {
    const cap = this.cap ?? Number.POSITIVE_INFINITY;
    if (code === DATA_ROW) this.total += bytes;
    const over = code === DATA_ROW ? this.total > cap : bytes > Math.max(cap, MIN_MESSAGE_CAP);
    if (!over) return true;
    this.refusal = { messageBytes: bytes, totalBytes: this.total, singleRow: code === DATA_ROW && bytes > cap };
    this.stop(this.onRefuse?.(this.refusal) ?? new Error(`a PostgreSQL message of ${bytes} bytes was refused`));
    return false;
  }

  /** Close the connection with `error`: pg fails the query in flight with it, and the connection is not reused. */
  private stop(error: Error): void {
    this.stopped = true;
    this.stream.destroy(error);
  }
}
