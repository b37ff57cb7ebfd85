/** What a file write, append or delete replaced: the file's bytes before (base64), or that it did not exist. */
export interface FileUndo {
  path: string;
  existed: boolean;
  /** Base64 of the content before, when it existed and was small enough to keep. */
  content_base64?: string;
  /** Why the file cannot be restored (it was larger than the cap). */
  unavailable?: string;
}

/** A file operation's result carries what it replaced (`$undo`): split off, so the task's result is what it returned. */
export function splitUndo(value: unknown): { result: unknown; undo?: FileUndo } {
  if (typeof value !== "object" || value === null || !("$undo" in value)) return { result: value };
  const { $undo, ...result } = value as { $undo: FileUndo };
  return { result, undo: $undo };
}
