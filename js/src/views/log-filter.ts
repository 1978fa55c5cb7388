// The log's filter: which rows it lists. Pure (no DOM, no model): a filter made from
// the toolbar's inputs, and the listing that keeps the matching rows' indices up to
// date as rows come and go, testing each row once.
import type { RowRing } from "../rows";
import type { Row } from "../types";

export interface Filter {
  readonly pattern: RegExp | null;
  readonly dir: string; // "", "in", "out"
  readonly kind: string; // "", "text", "json", "binary"
}

export const NO_FILTER: Filter = { pattern: null, dir: "", kind: "" };

/** What the toolbar holds. */
export interface FilterInput {
  readonly text: string;
  readonly regex: boolean;
  readonly dir: string;
  readonly kind: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The filter for the toolbar's inputs: text matches the preview case-insensitively, as
 * text or as a regex; `problem` says why a regex is invalid (it then matches nothing).
 */
export function makeFilter(input: FilterInput): { filter: Filter; problem: string } {
  let pattern: RegExp | null = null;
  let problem = "";
  if (input.text !== "") {
    try {
      pattern = new RegExp(input.regex ? input.text : escapeRegExp(input.text), "i");
    } catch (exc) {
      problem = `invalid regex: ${exc instanceof Error ? exc.message : String(exc)}`;
      pattern = /(?!)/; // an invalid pattern matches nothing, visibly
    }
  }
  return { filter: { pattern, dir: input.dir, kind: input.kind }, problem };
}

export function isActive(filter: Filter): boolean {
  return filter.pattern !== null || filter.dir !== "" || filter.kind !== "";
}

export function matches(filter: Filter, row: Row): boolean {
  if (filter.dir !== "" && row.dir !== filter.dir) return false;
  if (filter.kind === "json" ? !row.json : filter.kind !== "" && row.kind !== filter.kind) return false;
  return filter.pattern === null || filter.pattern.test(row.text);
}

/** The listed rows: how many, and the absolute ring index of listed row `k`. */
export interface Listed {
  readonly n: number;
  index(k: number): number;
}

/** The rows a filter lists, kept up to date: each row is tested once, evicted hits drop off. */
export class Listing {
  private filter: Filter = NO_FILTER;
  private active = false;
  private hits: number[] = []; // absolute indices of matching rows, ascending, from head on
  private head = 0;
  private scanned = 0; // rows up to here (absolute) were tested against the filter

  get filtered(): boolean {
    return this.active;
  }

  setFilter(filter: Filter, first: number): void {
    this.filter = filter;
    this.active = isActive(filter);
    this.reset(first);
  }

  /** Forgets the hits (the rows were replaced); rows from `first` on are tested again. */
  reset(first: number): void {
    this.hits = [];
    this.head = 0;
    this.scanned = first;
  }

  /** Brings the hits up to date with `ring`'s rows before `end` (absolute). */
  update(ring: RowRing, end: number): Listed {
    const first = ring.first;
    if (!this.active) {
      const from = Math.min(first, end);
      return { n: end - from, index: (k) => from + k };
    }
    while (this.head < this.hits.length && (this.hits[this.head] as number) < first) this.head++;
    if (this.head > 4096 && this.head * 2 > this.hits.length) {
      this.hits = this.hits.slice(this.head);
      this.head = 0;
    }
    for (let i = Math.max(this.scanned, first); i < end; i++) {
      const row = ring.at(i);
      if (row && matches(this.filter, row)) this.hits.push(i);
    }
    this.scanned = Math.max(this.scanned, end);
    const hits = this.hits;
    const head = this.head;
    return { n: hits.length - head, index: (k) => hits[head + k] as number };
  }
}
