import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Long attack suites (*.long.test.ts) run in `npm run test:chaos` (vitest.chaos.config.ts), which CI also runs.
    exclude: ["**/node_modules/**", "**/dist/**", "test/**/*.long.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn the CLI and servers; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
