import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TEXT_SLOT_MS } from "../src/views/dom";
import { DrawGate, rowsKey } from "../src/views/log-gate";

const FRAME = 1000 / 60;

describe("DrawGate", () => {
  it("draws a slow stream's new row at the next frame, whatever else redrew the page", () => {
    const gate = new DrawGate();
    assert.equal(gate.due(0, rowsKey(0, 1, 0, 1, 0), false), "draw");
    // The socket's counters change between rows (a kernel update, a beat): no new rows.
    assert.equal(gate.due(40, rowsKey(0, 1, 0, 1, 0), false), "skip");
    // A row 100 ms after the last one: drawn at the first frame that sees it.
    assert.equal(gate.due(100, rowsKey(0, 2, 0, 2, 0), false), "draw");
  });

  it("draws a fast stream's rows at most once per slot", () => {
    const gate = new DrawGate();
    let draws = 0;
    let waits = 0;
    for (let k = 0; k < 60; k++) {
      const verdict = gate.due(k * FRAME, rowsKey(0, k + 1, 0, k + 1, 0), false);
      if (verdict === "draw") draws += 1;
      else if (verdict === "wait") waits += 1;
    }
    assert.ok(draws <= Math.ceil(1000 / TEXT_SLOT_MS) + 1, `${draws} draws in one second`);
    assert.ok(draws >= 14 && waits === 60 - draws, `${draws} draws, ${waits} waits`);
  });

  it("draws the user's moves at the next frame, new rows or not", () => {
    const gate = new DrawGate();
    assert.equal(gate.due(0, rowsKey(0, 5, 0, 5, 0), false), "draw");
    assert.equal(gate.due(FRAME, rowsKey(0, 6, 0, 6, 0), true), "draw");
    assert.equal(gate.due(2 * FRAME, rowsKey(0, 6, 0, 6, 0), true), "draw");
    assert.equal(gate.due(3 * FRAME, rowsKey(0, 6, 0, 6, 0), false), "skip");
  });

  it("sees a reset, an eviction and a new omitted count as new rows", () => {
    const gate = new DrawGate();
    const base = rowsKey(0, 10, 0, 10, 0);
    assert.equal(gate.due(0, base, false), "draw");
    for (const [n, key] of [rowsKey(1, 10, 0, 10, 0), rowsKey(1, 10, 2, 8, 0), rowsKey(1, 10, 2, 8, 3)].entries()) {
      assert.equal(gate.due((n + 1) * 100, key, false), "draw");
    }
  });
});
