import { z } from "zod";

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

export type FileOperationResult =
  | { path: string; content: unknown }
  | { path: string; bytes_written: number }
  | { path: string; deleted: boolean }
  | { path: string; entries: { name: string; type: "file" | "directory" | "other"; size: number }[] }
  | { path: string; exists: boolean };
