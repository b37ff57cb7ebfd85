import { z } from "zod";
import type { FileUndo } from "../file-undo.js";

const FileOperationKind = ["read", "write", "append", "delete", "list", "exists"] as const;

/** `file_operation` config: `path` is relative to the workspace. */
export const FileOperationConfig = z
  .strictObject({
    operation: z.enum(FileOperationKind),
    path: z.string().min(1, "path is required"),
    content: z.unknown().optional(),
    encoding: z.enum(["utf8", "base64"]).default("utf8"),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.operation === "write" || cfg.operation === "append") && cfg.content === undefined) {
      ctx.addIssue({ code: "custom", path: ["content"], message: `content is required for ${cfg.operation}` });
    }
  });
export type FileOperationConfig = z.infer<typeof FileOperationConfig>;

/**
 * A write, append or delete also returns `$undo`: what it replaced. The run keeps it beside the task (not in its
 * result) to restore the file on rollback.
 */
export type FileOperationResult =
  | { path: string; content: unknown }
  | { path: string; bytes_written: number; $undo: FileUndo }
  | { path: string; deleted: boolean; $undo: FileUndo }
  | { path: string; entries: { name: string; type: "file" | "directory" | "other"; size: number }[] }
  | { path: string; exists: boolean };
