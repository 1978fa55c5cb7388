// The shape of js/src: no import cycles, no file over 450 lines, and the components
// (views) never touch a model: only model.ts and the binding modules do.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const SRC = resolve("src"); // npm test runs in js/

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|css)$/.test(entry.name) ? [path] : [];
  });
}

const files = sources(SRC);
const modules = files.filter((path) => path.endsWith(".ts"));

/** The local modules `path` imports (type-only imports count: they tie modules too). */
function imports(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/gms)].map(
    (match) => `${resolve(dirname(path), match[1] as string)}.ts`,
  );
}

describe("js/src", () => {
  it("has no import cycle", () => {
    const graph = new Map(modules.map((path) => [path, imports(path)]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (path: string, trail: string[]): void => {
      if (state.get(path) === "done") return;
      if (state.get(path) === "open") {
        cycles.push([...trail.slice(trail.indexOf(path)), path].map((p) => relative(SRC, p)).join(" -> "));
        return;
      }
      state.set(path, "open");
      for (const next of graph.get(path) ?? []) visit(next, [...trail, path]);
      state.set(path, "done");
    };
    for (const path of modules) visit(path, []);
    assert.deepEqual(cycles, []);
  });

  it("resolves every local import", () => {
    const missing = modules.flatMap((path) => imports(path).filter((target) => !modules.includes(target)));
    assert.deepEqual(missing, []);
  });

  it("has no file over 450 lines", () => {
    const long = files.filter((path) => readFileSync(path, "utf8").split("\n").length > 450);
    assert.deepEqual(
      long.map((path) => relative(SRC, path)),
      [],
    );
  });

  it("touches models only in model.ts", () => {
    const direct = /\bmodel\.(get|set|on|off|send|save_changes)\(/;
    const offenders = modules.filter((path) => !path.endsWith("/model.ts") && direct.test(readFileSync(path, "utf8")));
    assert.deepEqual(
      offenders.map((path) => relative(SRC, path)),
      [],
    );
  });

  it("keeps views free of models: only bindings import model.ts", () => {
    const components = ["views/chart.ts", "views/values.ts", "views/composer.ts", "views/metrics.ts", "view.ts"];
    const logParts = modules.filter((path) => /\/views\/log[-.]/.test(path)).map((path) => relative(SRC, path));
    for (const name of [...components, ...logParts]) {
      const imported = imports(join(SRC, name)).map((path) => relative(SRC, path));
      assert.ok((!imported.includes("model.ts") && !imported.includes("store.ts")) || name === "view.ts", name);
      assert.ok(!imported.includes("model.ts"), `${name} imports model.ts`);
    }
  });
});
