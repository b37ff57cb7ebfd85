import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clampDelay, MAX_TIMER_MS, setLongTimeout } from "../../../utils/timer.js";

const DAY = 86_400_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("timers longer than Node can schedule", () => {
  it("clampDelay keeps a delay within what setTimeout honours", () => {
    expect(clampDelay(3_000_000_000)).toBe(MAX_TIMER_MS);
    expect(clampDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(clampDelay(Number.NaN)).toBe(0);
    expect(clampDelay(-5)).toBe(0);
    expect(clampDelay(1500)).toBe(1500);
  });

  it("a 29-day timer fires after 29 days, not after 1 ms (setTimeout alone would)", () => {
    const fired = vi.fn();
    const plain = vi.fn();
    setLongTimeout(fired, 29 * DAY);
    setTimeout(plain, 29 * DAY); // Node: TimeoutOverflowWarning, then 1 ms
    vi.advanceTimersByTime(10);
    expect(plain).toHaveBeenCalledTimes(1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * DAY - MAX_TIMER_MS - 10 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it("clear stops a chained timer, also after its first step", () => {
    const fired = vi.fn();
    const timer = setLongTimeout(fired, 40 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    timer.clear();
    vi.advanceTimersByTime(40 * DAY);
    expect(fired).not.toHaveBeenCalled();
  });

  it("short delays behave as setTimeout", () => {
    const fired = vi.fn();
    setLongTimeout(fired, 250);
    vi.advanceTimersByTime(249);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
