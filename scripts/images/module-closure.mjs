// The compiled modules an image runs, and nothing else: from the entry points it names, every
// module reached through static `import ... from` / `export ... from` with a relative specifier,
// copied to another directory (each image's build stage runs this after tsc; the runtime stage
// copies the result). A relative dynamic `import()` is not followed: cli/main.js loads each
// command's module with one, and agent/index.js the agent's runtime, so an image names the commands
// (and sides) it runs as entry points and gets only their modules. A relative import that does not
// resolve fails the build, naming both files: a side's sources that the build stage did not copy.
//
// With --package-json, the file's `dependencies` are cut to the packages those modules import
// (statically or with a literal import()), so that `npm prune --omit=dev` then leaves only those
// and what they depend on: the agent image without the operator's Kubernetes client, neither image
// with the addon's build tools (cmake-js, node-addon-api), which no module imports.
//
//   node scripts/images/module-closure.mjs --out DIR [--package-json FILE] ENTRY...
//
// ENTRY: a .js file, or a directory (every .js below it, tests excluded), relative to the working
// directory; each file is copied to DIR at the same relative path. Parsed with the TypeScript
// compiler's parser (a devDependency: the build stage has it before `npm prune`).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import ts from 'typescript';

const isRelative = (spec) => spec.startsWith('./') || spec.startsWith('../');

/** A module's specifiers: `local`, its static imports and re-exports of relative paths; `packages`, the packages it imports in any way. */
export function moduleImports(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const local = [];
  const bare = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      (isRelative(st.moduleSpecifier.text) ? local : bare).push(st.moduleSpecifier.text);
    }
  }
  const visit = (node) => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg) && !isRelative(arg.text)) bare.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const packages = bare
    .filter((spec) => !spec.startsWith('node:') && !builtinModules.includes(spec.split('/')[0]))
    .map((spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
  return { local, packages };
}

function jsFilesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js') && !e.name.endsWith('.test.js'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** Every module the entries reach through static imports (relative paths, sorted), and the packages they import. */
export function moduleClosure(entries) {
  const seen = new Set();
  const packages = new Set();
  const queue = [];
  for (const entry of entries) {
    if (!existsSync(entry)) throw new Error(`${entry}: no such file or directory`);
    queue.push(...(statSync(entry).isDirectory() ? jsFilesUnder(entry) : [entry]));
  }
  while (queue.length > 0) {
    const file = path.relative('.', queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    const imports = moduleImports(file);
    for (const p of imports.packages) packages.add(p);
    for (const spec of imports.local) {
      const target = path.join(path.dirname(file), spec);
      if (!existsSync(target)) throw new Error(`${file} imports '${spec}' (${target}), which this build does not have`);
      queue.push(target);
    }
  }
  return { files: [...seen].sort(), packages: [...packages].sort() };
}

function main() {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' }, 'package-json': { type: 'string' } }, allowPositionals: true });
  if (!values.out || positionals.length === 0) throw new Error('usage: module-closure.mjs --out DIR [--package-json FILE] ENTRY...');
  const { files, packages } = moduleClosure(positionals);
  let bytes = 0;
  const perDir = new Map();
  for (const f of files) {
    const to = path.join(values.out, f);
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(f, to);
    bytes += statSync(f).size;
    const top = f.split(path.sep).slice(0, 2).join('/');
    perDir.set(top, (perDir.get(top) ?? 0) + 1);
  }
  const summary = [...perDir].map(([d, n]) => `${d} ${n}`).join(', ');
  process.stdout.write(`module-closure: ${files.length} modules, ${(bytes / 1024).toFixed(0)} KiB (${summary})\n`);
  if (values['package-json']) {
    const manifest = JSON.parse(readFileSync(values['package-json'], 'utf8'));
    const declared = Object.keys(manifest.dependencies ?? {});
    const undeclared = packages.filter((p) => !declared.includes(p));
    if (undeclared.length > 0) throw new Error(`the modules import ${undeclared.join(', ')}, not in ${values['package-json']} dependencies`);
    const dropped = declared.filter((p) => !packages.includes(p));
    manifest.dependencies = Object.fromEntries(Object.entries(manifest.dependencies).filter(([p]) => packages.includes(p)));
    writeFileSync(values['package-json'], `${JSON.stringify(manifest, null, 2)}\n`);
    process.stdout.write(`module-closure: dependencies imported: ${packages.join(', ')}; dropped: ${dropped.join(', ') || 'none'}\n`);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`module-closure: ${err.message}\n`);
    process.exit(1);
  }
}
