import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RowRing } from "../src/rows";
import type { Row } from "../src/types";
import { isActive, Listing, makeFilter, matches, NO_FILTER } from "../src/views/log-filter";

function row(seq: number, text: string, extra: Partial<Row> = {}): Row {
  return { seq, time: 0, dir: "in", kind: "text", size: text.length, text, json: false, ...extra };
}

const input = { text: "", regex: false, dir: "", kind: "" };

function listed(listing: Listing, ring: RowRing, end = ring.total): number[] {
  const { n, index } = listing.update(ring, end);
  return Array.from({ length: n }, (_, k) => ring.at(index(k))?.seq ?? -1);
}

describe("makeFilter", () => {
  it("matches text literally and case-insensitively", () => {
    const { filter, problem } = makeFilter({ ...input, text: "A.B" });
    assert.equal(problem, "");
    assert.equal(matches(filter, row(1, "xa.by")), true);
    assert.equal(matches(filter, row(2, "aXb")), false);
  });

  it("matches a regex when asked", () => {
    const { filter } = makeFilter({ ...input, text: "^a.b$", regex: true });
    assert.equal(matches(filter, row(1, "AXB")), true);
    assert.equal(matches(filter, row(2, "xaxb")), false);
  });

  it("an invalid regex says why and matches nothing", () => {
    const { filter, problem } = makeFilter({ ...input, text: "(", regex: true });
    assert.match(problem, /^invalid regex: /);
    assert.equal(matches(filter, row(1, "(")), false);
    assert.equal(isActive(filter), true);
  });

  it("filters by direction and kind (JSON is a kind of its own)", () => {
    const out = makeFilter({ ...input, dir: "out" }).filter;
    assert.equal(matches(out, row(1, "x", { dir: "out" })), true);
    assert.equal(matches(out, row(2, "x")), false);
    const json = makeFilter({ ...input, kind: "json" }).filter;
    assert.equal(matches(json, row(3, "{}", { json: true })), true);
    assert.equal(matches(json, row(4, "{}")), false);
    const binary = makeFilter({ ...input, kind: "binary" }).filter;
    assert.equal(matches(binary, row(5, "00", { kind: "binary" })), true);
    assert.equal(isActive(makeFilter(input).filter), false);
    assert.equal(isActive(NO_FILTER), false);
  });
});

describe("Listing", () => {
  it("lists every kept row without a filter", () => {
    const ring = new RowRing(3);
    for (let seq = 1; seq <= 5; seq++) ring.push(row(seq, "x"));
    const listing = new Listing();
    assert.equal(listing.filtered, false);
    assert.deepEqual(listed(listing, ring), [3, 4, 5]);
    assert.deepEqual(listed(listing, ring, 4), [3, 4]); // paused at 4
  });

  it("keeps the hits up to date as rows come and older ones are evicted", () => {
    const ring = new RowRing(4);
    const listing = new Listing();
    listing.setFilter(makeFilter({ ...input, text: "hit" }).filter, ring.first);
    for (let seq = 1; seq <= 3; seq++) ring.push(row(seq, seq % 2 ? "hit" : "miss"));
    assert.deepEqual(listed(listing, ring), [1, 3]);
    for (let seq = 4; seq <= 7; seq++) ring.push(row(seq, seq % 2 ? "hit" : "miss"));
    assert.deepEqual(listed(listing, ring), [5, 7]);
    listing.setFilter(makeFilter({ ...input, text: "miss" }).filter, ring.first);
    assert.deepEqual(listed(listing, ring), [4, 6]);
  });

  it("starts over after a reset (the rows were replaced)", () => {
    const ring = new RowRing(10);
    const listing = new Listing();
    listing.setFilter(makeFilter({ ...input, text: "a" }).filter, ring.first);
    ring.push(row(1, "a"));
    assert.deepEqual(listed(listing, ring), [1]);
    ring.reset([row(7, "a"), row(8, "b")]);
    listing.reset(ring.first);
    assert.deepEqual(listed(listing, ring), [7]);
  });
});
