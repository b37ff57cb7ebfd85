import { PassThrough } from "node:stream";
import fc from "fast-check";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { WireGuard } from "../../../../src/actions/db-query/wire-guard.js";
import { ErrorCode, WorkflowError } from "../../../../src/model/errors.js";

/** A backend message: type byte, then a 4-byte length that counts itself and the body. */
function message(type: string, bodyBytes: number): Buffer {
  const out = Buffer.alloc(5 + bodyBytes, 0x61);
  out.write(type, 0, "latin1");
  out.writeUInt32BE(4 + bodyBytes, 1);
  return out;
}

/** A pg client as far as the guard sees it: a socket whose 'data' listener is pg-protocol's parser. */
function fakeClient(parse: (chunk: Buffer) => void = () => undefined) {
  const stream = new PassThrough();
  stream.on("data", parse);
  const client = { connection: { stream } } as unknown as pg.PoolClient;
  return { client, stream };
}

const refuse = () => new WorkflowError(ErrorCode.ResultTooLarge, "too large");

/** Feed `bytes` to the guard in the given chunk sizes (the socket splits messages anywhere). */
function feed(stream: PassThrough, bytes: Buffer, sizes: number[]): void {
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    stream.emit("data", bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) stream.emit("data", bytes.subarray(at));
}

describe("WireGuard follows PostgreSQL's message framing across any chunking", () => {
  it("property: rows under the cap reach the parser unchanged, however the socket splits them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 200 }),
        (rows, sizes) => {
          const seen: Buffer[] = [];
          const { client, stream } = fakeClient((chunk) => seen.push(chunk));
          const guard = WireGuard.of(client);
          const wire = Buffer.concat([message("T", 20), ...rows.map((n) => message("D", n)), message("C", 10), message("Z", 1)]);
          guard.arm(10_000_000, refuse);
          feed(stream, wire, sizes);
          guard.disarm();
          expect(guard.refused).toBeUndefined();
          expect(Buffer.concat(seen).equals(wire)).toBe(true);
        },
      ),
    );
  });

  it("property: the first row past the cap closes the connection, and the parser never gets that row's body", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 10, max: 3000 }),
        fc.array(fc.integer({ min: 1, max: 61 }), { maxLength: 300 }),
        (rows, cap, sizes) => {
          let parsed = 0;
          const { client, stream } = fakeClient((chunk) => {
            parsed += chunk.length;
          });
          stream.on("error", () => undefined);
          const guard = WireGuard.of(client);
          const wire = Buffer.concat(rows.map((n) => message("D", n)));
          guard.arm(cap, refuse);
          feed(stream, wire, sizes);
          const sizesSeen = rows.map((n) => n + 5);
          let total = 0;
          let crossing = -1;
          for (const [i, n] of sizesSeen.entries()) {
            total += n;
            if (total > cap) {
              crossing = i;
              break;
            }
          }
          if (crossing === -1) {
            expect(guard.refused).toBeUndefined();
            expect(parsed).toBe(wire.length);
          } else {
            expect(guard.refused).toMatchObject({ totalBytes: total, messageBytes: sizesSeen[crossing] });
            expect(stream.destroyed).toBe(true);
            // Everything before the crossing row may have been parsed, but not the crossing row whole.
            const before = sizesSeen.slice(0, crossing).reduce((a, b) => a + b, 0);
            expect(parsed).toBeLessThan(before + (sizesSeen[crossing] as number));
          }
        },
      ),
    );
  });

  it("stays in step while unarmed (another user of the pooled connection), then caps the next query", () => {
    const { client, stream } = fakeClient();
    stream.on("error", () => undefined);
    const guard = WireGuard.of(client);
    feed(stream, Buffer.concat([message("D", 5000), message("Z", 1)]), [3, 4000, 7]);
    expect(guard.refused).toBeUndefined();
    guard.arm(1000, refuse);
    feed(stream, message("D", 2000), [2, 2, 100]);
    expect(guard.refused).toMatchObject({ singleRow: true, messageBytes: 2005 });
  });

  it("turns a throw in the parser into a connection error instead of an uncaught exception", async () => {
    const { client, stream } = fakeClient(() => {
      throw Object.assign(new Error("Cannot create a string longer than 0x1fffffe8 characters"), { code: "ERR_STRING_TOO_LONG" });
    });
    WireGuard.of(client);
    const failed = new Promise<Error>((resolve) => stream.on("error", resolve));
    expect(() => stream.emit("data", message("Z", 1))).not.toThrow();
    expect(await failed).toMatchObject({ code: "ERR_STRING_TOO_LONG" });
  });

  it("is installed once per connection", () => {
    const { client, stream } = fakeClient();
    expect(WireGuard.of(client)).toBe(WireGuard.of(client));
    expect(stream.listenerCount("data")).toBe(1);
  });
});
