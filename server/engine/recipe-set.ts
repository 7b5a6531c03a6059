import { createHash } from 'node:crypto';
import { Recipe } from '../../schemas/recipe.ts';
import type { Store } from '../store/store.ts';
import { RecipeError } from './errors.ts';

/** A recipe as the runtime holds it: the parsed definition, its content hash and where it came from. */
export interface LoadedRecipe {
  definition: Recipe;
  hash: string;
  /** The file it was loaded from, for error messages. */
  file: string;
}

/** JSON with sorted keys, so that the same recipe always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashRecipe(definition: Recipe): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

export function loadedRecipe(definition: Recipe, file: string): LoadedRecipe {
  return { definition, hash: hashRecipe(definition), file };
}

/**
 * The recipes a runtime serves, plus every older version live runs still stand on: a run is pinned to
 * the hash of the definition it started with, which the store keeps.
 */
export class RecipeSet {
  readonly #current = new Map<string, LoadedRecipe>();
  readonly #byHash = new Map<string, Recipe>();

  constructor(
    recipes: readonly LoadedRecipe[],
    readonly store: Store,
  ) {
    for (const r of recipes) {
      if (this.#current.has(r.definition.name)) {
        throw new RecipeError(`two recipes are named ${r.definition.name}: ${this.#current.get(r.definition.name)!.file} and ${r.file}`);
      }
      this.#current.set(r.definition.name, r);
      this.#byHash.set(r.hash, r.definition);
    }
  }

  /** Saves every current version so that runs can find theirs after the files change. */
  async persist(now: number): Promise<void> {
    for (const r of this.#current.values()) {
      await this.store.saveRecipeVersion({ name: r.definition.name, version: r.definition.version, hash: r.hash, definition: r.definition, createdAt: now });
    }
  }

  list(): LoadedRecipe[] {
    return [...this.#current.values()];
  }

  get(name: string): LoadedRecipe | undefined {
    return this.#current.get(name);
  }

  /** Recipes whose webhook trigger listens to this event. */
  forWebhook(event: string): LoadedRecipe[] {
    return this.list().filter((r) => r.definition.trigger.type === 'webhook' && r.definition.trigger.event === event);
  }

  /** The definition a run started on, from memory or from the store. */
  async byHash(hash: string): Promise<Recipe> {
    const known = this.#byHash.get(hash);
    if (known) return known;
    const stored = await this.store.getRecipeVersion(hash);
    if (!stored) throw new RecipeError(`recipe version ${hash.slice(0, 12)} is not in the store`);
    const definition = Recipe.parse(stored.definition);
    this.#byHash.set(hash, definition);
    return definition;
  }
}
