/**
 * Text that came from outside (HTTP bodies in errors, results, goals, ids, names, stored runs) made safe to
 * print on a terminal: a server's `ESC ]0;title BEL` or colour codes must not retitle the window, recolour
 * the screen, move the cursor or hide what follows. Every unsafe character becomes a visible `\uXXXX`, so
 * nothing is lost and the output says what was there. The same escape is valid inside a JSON string, so
 * `--json` text stays valid JSON with the same values (JSON.stringify already escapes C0 but not DEL, C1 or
 * the Unicode separators).
 */
export function terminalText(text: string): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isUnsafe(code)) continue;
    out += `${text.slice(last, i)}\\u${code.toString(16).padStart(4, "0")}`;
    last = i + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * C0 controls except the newline (ours: the CLI prints multi-line text; it moves no cursor but down), DEL,
 * C1 controls (0x9B is a one-byte CSI, 0x9D an OSC), and the Unicode characters that break a line or
 * reorder the text after them (line/paragraph separators, bidi embeddings, overrides and isolates).
 */
function isUnsafe(code: number): boolean {
  if (code < 0x20) return code !== 0x0a;
  if (code >= 0x7f && code <= 0x9f) return true;
  return code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}
