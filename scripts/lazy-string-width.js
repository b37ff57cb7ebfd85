// string-width, initialised at its first call: yargs and cliui import it at start-up but call it only to lay
// out --help, and its set-up (an Intl.Segmenter, Unicode-property regular expressions) costs ~40 ms a run.
// esbuild bundles the require() below as a module initialised on demand (scripts/bundle-cli.mjs).
let stringWidth;

export default function lazyStringWidth(text, options) {
  stringWidth ??= require("string-width").default;
  return stringWidth(text, options);
}
