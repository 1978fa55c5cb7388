import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fullFromReply, fullFromRow, hasPayload, type PayloadRow, RowRing, toRow, toRows } from "../src/rows";
import type { Row } from "../src/types";

function row(seq: number, extra: Partial<Row> = {}): Row {
  return { seq, time: seq * 10, dir: "in", kind: "text", size: 1, text: `m${seq}`, json: false, ...extra };
}

function seqs(ring: RowRing): number[] {
  const out: number[] = [];
  for (let i = ring.first; i < ring.total; i++) out.push(ring.at(i)?.seq ?? -1);
  return out;
}

describe("RowRing", () => {
  it("keeps the newest rows, addressed by absolute index", () => {
    const ring = new RowRing(3);
    for (let seq = 1; seq <= 5; seq++) ring.push(row(seq));
    assert.deepEqual(seqs(ring), [3, 4, 5]);
    assert.equal(ring.first, 2);
    assert.equal(ring.total, 5);
    assert.equal(ring.evicted, 2);
    assert.equal(ring.at(1), undefined);
    assert.equal(ring.at(5), undefined);
  });

  it("finds a kept row by seq", () => {
    const ring = new RowRing(4);
    for (const seq of [2, 4, 6, 8, 10]) ring.push(row(seq));
    assert.equal(ring.bySeq(8)?.text, "m8");
    assert.equal(ring.bySeq(2), undefined); // evicted
    assert.equal(ring.bySeq(5), undefined);
  });

  it("reset keeps the last rows that fit and restarts the count", () => {
    const ring = new RowRing(2);
    ring.push(row(1));
    ring.reset([row(5), row(6), row(7)]);
    assert.deepEqual(seqs(ring), [6, 7]);
    assert.equal(ring.total, 2);
    assert.equal(ring.evicted, 0);
  });

  it("resetUnder puts older rows under the kept ones", () => {
    const ring = new RowRing(10);
    ring.push(row(5));
    ring.push(row(6));
    ring.resetUnder([row(3), row(4), row(5)]);
    assert.deepEqual(seqs(ring), [3, 4, 5, 6]);
  });

  it("resetUnder keeps the tail's rows newer than the kept ones (sent only there)", () => {
    const ring = new RowRing(10);
    ring.push(row(5));
    ring.push(row(6));
    ring.resetUnder([row(4), row(5), row(6), row(7), row(8)]);
    assert.deepEqual(seqs(ring), [4, 5, 6, 7, 8]);
  });

  it("resize keeps the newest rows and says how many went", () => {
    const ring = new RowRing(5);
    for (let seq = 1; seq <= 5; seq++) ring.push(row(seq));
    assert.equal(ring.resize(2), 3);
    assert.deepEqual(seqs(ring), [4, 5]);
    ring.push(row(6));
    assert.deepEqual(seqs(ring), [5, 6]);
    assert.equal(ring.resize(4), 0);
    ring.push(row(7));
    assert.deepEqual(seqs(ring), [5, 6, 7]);
  });
});

describe("toRows", () => {
  it("reads the kernel's columns (flags: out 1, binary 2, JSON 4; times after t0)", () => {
    const rows = toRows({
      seq: [1, 2],
      t0: 1000,
      time: [0, 5],
      flags: [4, 3],
      size: [7, 2],
      text: ['{"a":1}', "00 ff"],
    });
    assert.deepEqual(rows, [
      { seq: 1, time: 1000, dir: "in", kind: "text", size: 7, text: '{"a":1}', json: true },
      { seq: 2, time: 1005, dir: "out", kind: "binary", size: 2, text: "00 ff", json: false },
    ]);
  });

  it("reads a list of row objects (saved with the notebook)", () => {
    const rows = toRows([{ seq: 3, time: 1, dir: "out", kind: "text", size: 1, text: "x", json: false }, null, 5]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.dir, "out");
  });

  it("gives no rows for anything else", () => {
    assert.deepEqual(toRows(undefined), []);
    assert.deepEqual(toRows({ seq: [1] }), []);
    assert.equal(toRow("row"), null);
  });
});

describe("full messages", () => {
  it("takes text from a get_result reply", () => {
    assert.deepEqual(fullFromReply({ type: "get_result", seq: 4, kind: "text", text: "hi" }, []), {
      seq: 4,
      kind: "text",
      text: "hi",
      bytes: null,
    });
  });

  it("takes bytes from the reply's buffer (a DataView over part of a buffer)", () => {
    const buffer = new Uint8Array([9, 1, 2, 9]).buffer;
    const message = fullFromReply({ seq: 5, kind: "binary" }, [new DataView(buffer, 1, 2)]);
    assert.deepEqual([...(message.bytes ?? [])], [1, 2]);
    assert.deepEqual([...(fullFromReply({ seq: 5, kind: "binary" }, []).bytes ?? [9])], []);
  });

  it("takes the payload a browser-mode row holds", () => {
    const local: PayloadRow = { ...row(1), payload: () => new Uint8Array([7]).buffer };
    assert.equal(hasPayload(local), true);
    assert.equal(hasPayload(row(1)), false);
    assert.deepEqual([...(fullFromRow(local).bytes ?? [])], [7]);
  });
});
