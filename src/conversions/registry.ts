/**
 * The conversions a run may use, as a value: the CLI, `convert` and pipelines are given one. The built-ins are
 * a list (builtins.ts); more come from ES modules by path, so pipeline worker processes can load the same ones.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { messageOf, usageError } from '../errors.js';
import type { ConversionDef } from './types.js';

export class ConversionRegistry {
  private readonly byName = new Map<string, ConversionDef>();

  /** `modules`: the module paths the extra conversions came from (what a worker process loads again). */
  constructor(
    defs: readonly ConversionDef[],
    readonly modules: readonly string[] = [],
  ) {
    for (const def of defs) {
      if (this.byName.has(def.name)) throw usageError(`two conversions are named '${def.name}'`);
      this.byName.set(def.name, def);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): ConversionDef {
    const def = this.byName.get(name);
    if (!def) throw usageError(`unknown conversion '${name}' (known: ${this.names().join(', ')})`);
    return def;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  list(): ConversionDef[] {
    return [...this.byName.values()];
  }

  /** A registry with these conversions added (a name already taken is an error). */
  with(defs: readonly ConversionDef[], modules: readonly string[] = []): ConversionRegistry {
    return new ConversionRegistry([...this.list(), ...defs], [...this.modules, ...modules]);
  }

  /** A registry with the conversions of these ES modules added (see loadConversionModule). */
  async withModules(paths: readonly string[]): Promise<ConversionRegistry> {
    const [path, ...others] = paths;
    if (path === undefined) return this;
    const file = resolve(path);
    const next = this.modules.includes(file) ? this : this.with(await loadConversionModule(file), [file]);
    return next.withModules(others);
  }
}

function isConversionDef(value: unknown): value is ConversionDef {
  const v = value as Partial<ConversionDef> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.name === 'string' &&
    typeof v.passes === 'function' &&
    typeof v.options === 'object' &&
    v.options !== null
  );
}

/**
 * The conversions an ES module exports: `conversions` (an array), or the default export (one conversion or an
 * array). Each is a ConversionDef: `name`, `describe`, `options`, `passes(options, context)`.
 */
export async function loadConversionModule(path: string): Promise<ConversionDef[]> {
  const file = resolve(path);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw usageError(`cannot load conversions from this module: ${messageOf(e)}`, { file, cause: e });
  }
  const exported = loaded.conversions ?? loaded.default;
  const defs = Array.isArray(exported) ? (exported as unknown[]) : exported === undefined ? [] : [exported];
  if (defs.length === 0) throw usageError('exports no conversions (export `conversions`, an array, or a default export)', { file });
  const bad = defs.findIndex((d) => !isConversionDef(d));
  if (bad >= 0) throw usageError(`conversion ${bad} is not a conversion (it needs name, options and passes())`, { file });
  return defs as ConversionDef[];
}
