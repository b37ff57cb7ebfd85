import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cronOf } from "../../../src/model/schedule.js";
import { dueTimes, MAX_MISSED_RECORDED, nextDues } from "../../../src/model/schedule-due-times.js";

const PATTERNS = ["0 2 * * *", "30 2 * * *", "*/7 * * * *", "0 */3 * * *", "15 1,2,3 * * 0", "0 0 1 * *", "0 3 * * 1-5"];
const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"];
const START = Date.parse("2026-01-01T00:00:00Z");
const YEAR = 365 * 86_400_000;

/** Every due time in (from, now], by walking croner's nextRun: the slow, obvious answer. */
function naive(cron: string, tz: string, from: Date, now: Date): Date[] {
  const c = cronOf(cron, tz);
  const out: Date[] = [];
  for (let t = c.nextRun(from); t && t.getTime() <= now.getTime(); t = c.nextRun(t)) out.push(t);
  return out;
}

describe("dueTimes", () => {
  it("fires the newest due time in (from, now] and passes over the older ones (catch_up latest), like walking every due time", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: YEAR }),
        // Spans of up to 3 days, and a fifth of the cases exactly on a second (due times are whole seconds).
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.boolean(),
        (cron, tz, offset, span, whole) => {
          const from = new Date(START + offset);
          const now = new Date(whole ? Math.floor((START + offset + span) / 1000) * 1000 : START + offset + span);
          const all = naive(cron, tz, from, now);
          const got = dueTimes({ cron, tz, catch_up: "latest" }, from, now, 60_000);
          expect(got.fire?.toISOString()).toBe(all.at(-1)?.toISOString());
          expect(got.missed.map((t) => t.toISOString())).toEqual(
            all
              .slice(0, -1)
              .reverse()
              .slice(0, MAX_MISSED_RECORDED)
              .map((t) => t.toISOString()),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("under catch_up none fires the newest due time only while it is at most the grace old, else passes over all of them", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PATTERNS),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: YEAR }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        (cron, tz, offset, span, grace) => {
          const from = new Date(START + offset);
          const now = new Date(START + offset + span);
          const all = naive(cron, tz, from, now);
          const got = dueTimes({ cron, tz, catch_up: "none" }, from, now, grace);
          const newest = all.at(-1);
          const onTime = newest !== undefined && now.getTime() - newest.getTime() <= grace;
          expect(got.fire?.toISOString()).toBe(onTime ? newest?.toISOString() : undefined);
          const passed = (onTime ? all.slice(0, -1) : all).reverse().slice(0, MAX_MISSED_RECORDED);
          expect(got.missed.map((t) => t.toISOString())).toEqual(passed.map((t) => t.toISOString()));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees with the walk for a 6-field (seconds) expression too", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: YEAR }),
        fc.integer({ min: 0, max: 7_200_000 }),
        (tz, offset, span) => {
          const [from, now] = [new Date(START + offset), new Date(START + offset + span)];
          const all = naive("*/20 * * * * *", tz, from, now);
          const got = dueTimes({ cron: "*/20 * * * * *", tz, catch_up: "latest" }, from, now, 0);
          expect([got.fire, ...got.missed].filter(Boolean).map((t) => t?.toISOString())).toEqual(
            all
              .reverse()
              .slice(0, MAX_MISSED_RECORDED + 1)
              .map((t) => t.toISOString()),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("fires a due time at the very millisecond it is due, and not a millisecond before", () => {
    const s = { cron: "0 2 * * *", tz: "UTC", catch_up: "latest" as const };
    const from = new Date("2026-05-01T00:00:00Z");
    expect(dueTimes(s, from, new Date("2026-05-01T01:59:59.999Z"), 0)).toEqual({ missed: [] });
    expect(dueTimes(s, from, new Date("2026-05-01T02:00:00.000Z"), 0).fire?.toISOString()).toBe("2026-05-01T02:00:00.000Z");
    // A due time already dealt with (it is `from`) is not due again.
    expect(dueTimes(s, new Date("2026-05-01T02:00:00Z"), new Date("2026-05-01T02:00:00.500Z"), 0)).toEqual({ missed: [] });
  });

  it("reads the expression in the schedule's time zone, across both DST changes (Europe/Paris)", () => {
    const paris = (cron: string, after: string) => nextDues({ cron, tz: "Europe/Paris" }, new Date(after), 3).map((t) => t.toISOString());
    // 02:00 in Paris: 01:00Z in winter (CET), 00:00Z in summer (CEST).
    expect(paris("0 2 * * *", "2026-01-10T00:00:00Z")[0]).toBe("2026-01-10T01:00:00.000Z");
    expect(paris("0 2 * * *", "2026-07-09T12:00:00Z")[0]).toBe("2026-07-10T00:00:00.000Z");
    // Spring forward, Sunday 29 March 2026: 03:00 local is 01:00Z that day (CEST), 02:00Z the day before (CET).
    expect(paris("0 3 * * *", "2026-03-28T00:00:00Z")).toEqual([
      "2026-03-28T02:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T01:00:00.000Z",
    ]);
    // Fall back, Sunday 25 October 2026: 02:30 local happens twice; the schedule fires once that day, at the first.
    expect(paris("30 2 * * *", "2026-10-24T12:00:00Z")).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
    // A time in New York is a different instant.
    expect(nextDues({ cron: "0 2 * * *", tz: "America/New_York" }, new Date("2026-01-10T00:00:00Z"), 1)[0]?.toISOString()).toBe(
      "2026-01-10T07:00:00.000Z",
    );
  });
});
