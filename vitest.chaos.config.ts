import { defineConfig } from "vitest/config";

/** `npm run test:chaos`: the long attack suites (concurrent drivers, crashes, runaway inputs), one file at a time. */
export default defineConfig({
  test: {
    include: ["test/**/*.long.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
