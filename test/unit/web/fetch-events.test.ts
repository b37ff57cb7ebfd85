import { describe, expect, it } from "vitest";
import { parseEvents } from "../../../web/dashboard/fetch-events.js";

describe("the dashboard's SSE parser (streams that need a token)", () => {
  it("reads named events with ids and keeps an incomplete one for the next chunk", () => {
    const { events, rest } = parseEvents(
      'retry: 2000\n\nid: 1\nevent: task_started\ndata: {"a":1}\n\n: keep-alive\n\nid: 2\nevent: run_comp',
    );
    expect(events).toEqual([{ type: "task_started", data: '{"a":1}', id: "1" }]);
    expect(rest).toBe("id: 2\nevent: run_comp");
    expect(parseEvents(`${rest}leted\ndata: {}\n\n`).events).toEqual([{ type: "run_completed", data: "{}", id: "2" }]);
  });

  it("joins data lines, takes CRLF, defaults the type to message", () => {
    expect(parseEvents("data: a\r\ndata:b\r\n\r\n").events).toEqual([{ type: "message", data: "a\nb" }]);
  });
});
