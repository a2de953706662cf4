// Validates an AsyncAPI document with @asyncapi/parser: exits non-zero on
// any error-level diagnostic (a schema violation, a broken $ref) and
// prints every diagnostic.
//   node validate.mjs FILE
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
const text = await readFile(file, "utf8");
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, { source: file });
const ERROR = 0;
for (const d of diagnostics) {
  const level = ["error", "warning", "info", "hint"][d.severity] ?? d.severity;
  console.log(`${level}: ${d.code} ${d.message} at ${d.path.join(".")}`);
}
const errors = diagnostics.filter((d) => d.severity === ERROR);
if (!document || errors.length > 0) {
  console.error(`${file}: not a valid AsyncAPI document (${errors.length} errors)`);
  process.exit(1);
}
const channels = document.channels().all().map((c) => c.address());
const messages = document.allMessages().all().length;
console.log(`${file}: valid AsyncAPI ${document.version()}; channels ${channels.join(", ")}; ${messages} messages`);
