import { writeFileSync } from "node:fs";
import { workflowJsonSchema } from "../src/model/workflow-json-schema.js";

// Regenerates docs/workflow.schema.json from the zod schema (npm run schema).
writeFileSync(new URL("../docs/workflow.schema.json", import.meta.url), `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
