// The pure rules of browser mode's socket and bridge: backoff reset, max_size, the
// sealed URL, and the Inspector's close reason in UTF-8 bytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { batchIntervalMs, STREAM_HZ, STREAM_RATE, unseal } from "../src/bridge";
import { holdExpiredText, overSize, stableAfterMs, tooBigText } from "../src/socket";
import { reasonProblem } from "../src/teaching/dom";

describe("reconnect backoff", () => {
  it("restarts only after max(5 s, twice the last delay) open", () => {
    assert.equal(stableAfterMs(0), 5000);
    assert.equal(stableAfterMs(0.3), 5000);
    assert.equal(stableAfterMs(0.3, 0.2), 600);
    assert.equal(stableAfterMs(0, 0.2), 200);
    assert.equal(stableAfterMs(2.5), 5000);
    assert.equal(stableAfterMs(30), 60_000);
  });
});

describe("batches to the kernel", () => {
  it("go out max_fps a second, STREAM_HZ at most while a stream floods in", () => {
    assert.equal(STREAM_HZ, 10);
    assert.equal(STREAM_RATE, 1000);
    assert.equal(batchIntervalMs(30, 0, 0), 1000 / 30); // nothing yet
    assert.equal(batchIntervalMs(30, 1, 60_000), 1000 / 30); // one message after a quiet minute
    assert.equal(batchIntervalMs(30, 33, 34), 1000 / 30); // 970 a second
    assert.equal(batchIntervalMs(30, 34, 34), 100); // 1,000 a second
    assert.equal(batchIntervalMs(30, 5000, 100), 100);
    assert.equal(batchIntervalMs(120, 5000, 10), 100);
    assert.equal(batchIntervalMs(5, 5000, 200), 200); // max_fps below STREAM_HZ still counts
    assert.equal(batchIntervalMs(0, 0, 0), 1000); // max_fps at least 1
  });
});

describe("max_size", () => {
  it("counts UTF-8 bytes, not characters", () => {
    assert.equal(overSize("a".repeat(10), 10), false);
    assert.equal(overSize("a".repeat(11), 10), true);
    assert.equal(overSize("é".repeat(5), 10), false); // 10 bytes
    assert.equal(overSize("é".repeat(6), 10), true); // 12 bytes in 6 characters
    assert.equal(overSize("€".repeat(4), 11), true); // 12 bytes
    assert.equal(overSize(new ArrayBuffer(11), 10), true);
    assert.equal(overSize(new ArrayBuffer(10), 10), false);
  });

  it("says what happened and what to pass, as kernel mode does", () => {
    const text = tooBigText(2_000_000, 1_048_576);
    for (const words of ["2000000 bytes", "max_size=1048576", "1009 (message too big)", "mode='kernel'"]) {
      assert.ok(text.includes(words), `${words} not in ${text}`);
    }
  });
});

describe("on_open hooks", () => {
  it("says why the page stopped holding its queue, and what went out", () => {
    const text = holdExpiredText(12);
    for (const words of ["on_open hooks", "within 12 s", "busy running a cell", "go out now"]) {
      assert.ok(text.includes(words), `${words} not in ${text}`);
    }
  });
});

describe("sealed URL", () => {
  it("opens with the owner's key only", () => {
    const url = "ws://h:1/feed?token=SECRET-é";
    const bytes = new TextEncoder().encode(url);
    const key = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    const other = new Uint8Array(64).map((_, i) => (i * 53 + 7) & 0xff);
    const sealed = bytes.map((b, i) => b ^ (key[i] as number));
    assert.equal(unseal(sealed, key), url);
    assert.ok(!unseal(sealed, other).includes("SECRET"));
  });
});

describe("Inspector close reason", () => {
  it("allows 123 bytes of UTF-8, whatever the characters", () => {
    assert.equal(reasonProblem("a".repeat(123)), "");
    assert.equal(reasonProblem("é".repeat(61)), ""); // 122 bytes
    assert.match(reasonProblem("é".repeat(62)), /124 bytes of UTF-8; .* at most 123/);
    assert.match(reasonProblem("😀".repeat(31)), /124 bytes/); // 31 characters, 124 bytes
  });
});
