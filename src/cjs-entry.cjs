// CommonJS entry: this package is an ES module. Node 20.19+ loads it with require(); older Node cannot.
try {
  module.exports = require("./index.js");
} catch (error) {
  if (error && (error.code === "ERR_REQUIRE_ESM" || error.code === "ERR_REQUIRE_ASYNC_MODULE")) {
    throw new Error(
      'agentic-workflow-engine is an ES module. Load it with `import { WorkflowEngine } from "agentic-workflow-engine"` ' +
        "(or `await import(...)` from CommonJS); `require()` of it needs Node 20.19 or later.",
      { cause: error },
    );
  }
  throw error;
}
