/** What a file write, append or delete replaced: the file's bytes before (base64), or that it did not exist. */
export interface FileUndo {
  path: string;
  existed: boolean;
  /** Base64 of the content before, when it existed and was small enough to keep. */
  content_base64?: string;
  /** Why the file cannot be restored (it was larger than the cap). */
  unavailable?: string;
}
