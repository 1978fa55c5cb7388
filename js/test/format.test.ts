import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  closeCodeName,
  formatBytes,
  formatClose,
  formatCount,
  formatOmitted,
  formatRate,
  groupDigits,
  hexDump,
  parseHex,
  plural,
  previewPayload,
  RateMeter,
  toHex,
  toNumber,
  toText,
  utf8Length,
} from "../src/format";

describe("coercion", () => {
  it("toNumber falls back on anything not finite", () => {
    assert.equal(toNumber("12"), 12);
    assert.equal(toNumber("x", 3), 3);
    assert.equal(toNumber(Number.POSITIVE_INFINITY, -1), -1);
    assert.equal(toNumber(null), 0);
  });

  it("toText turns null and undefined into an empty string", () => {
    assert.equal(toText(null), "");
    assert.equal(toText(undefined), "");
    assert.equal(toText(4), "4");
  });
});

describe("numbers", () => {
  it("counts are plain digits; prose groups them", () => {
    assert.equal(formatCount(12345.9), "12345");
    assert.equal(groupDigits(1234567), "1,234,567");
    assert.equal(plural(1, "row"), "1 row");
    assert.equal(plural(2000, "row"), "2,000 rows");
    assert.equal(formatOmitted(1), "1 earlier message not shown (kept in ws.messages)");
  });

  it("bytes and rates", () => {
    assert.equal(formatBytes(1023), "1023 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(50 * 1024 * 1024), "50 MiB");
    assert.equal(formatBytes(-5), "0 B");
    assert.equal(formatRate(3.04), "3.0/s");
    assert.equal(formatRate(1234.5), "1235/s");
  });

  it("close codes", () => {
    assert.equal(formatClose(null, "x"), "");
    assert.equal(formatClose(1000, ""), "closed 1000");
    assert.equal(formatClose(4001, "bye"), "closed 4001 bye");
    assert.equal(closeCodeName(1006), "connection lost without a close frame");
    assert.equal(closeCodeName(3001), "registered application code");
    assert.equal(closeCodeName(4999), "private application code");
    assert.equal(closeCodeName(2000), "unknown close code");
  });
});

describe("payloads", () => {
  it("utf8Length counts encoded bytes", () => {
    for (const text of ["abc", "é", "€", "😀", "a\ud800b"]) {
      assert.equal(utf8Length(text), new TextEncoder().encode(text).length, text);
    }
  });

  it("previewPayload compacts JSON, shortens long text and shows bytes as hex", () => {
    assert.deepEqual(previewPayload('{ "a": [1, 2] }'), { text: '{"a":[1,2]}', json: true });
    assert.deepEqual(previewPayload("{not json"), { text: "{not json", json: false });
    const long = previewPayload("x".repeat(600));
    assert.equal(long.text, `${"x".repeat(500)}… (+100 chars)`);
    assert.deepEqual(previewPayload(new Uint8Array([0, 255]).buffer), { text: "00 ff", json: false });
    assert.match(previewPayload(new ArrayBuffer(50)).text, /… \(\+2 bytes\)$/);
  });

  it("hex in and out", () => {
    assert.equal(toHex(new Uint8Array([1, 171])), "01 ab");
    assert.deepEqual([...parseHex("0x01, 0xAB ff")], [1, 171, 255]);
    assert.throws(() => parseHex("0g"), /not hex: "g" is not a hex digit/);
    assert.throws(() => parseHex("abc"), /3 digits, an odd number/);
  });

  it("hexDump shows offset, hex and ASCII", () => {
    const dump = hexDump(new TextEncoder().encode("Hello, WebSocket!"));
    const lines = dump.split("\n");
    assert.equal(lines.length, 2);
    assert.match(
      lines[0] ?? "",
      /^00000000 {2}48 65 6c 6c 6f 2c 20 57 {2}65 62 53 6f 63 6b 65 74 {2}\|Hello, WebSocket\|$/,
    );
    assert.match(lines[1] ?? "", /^00000010 {2}21 .*\|!\|$/);
    assert.match(hexDump(new Uint8Array(40), 16), /… 24 more bytes/);
  });
});

describe("RateMeter", () => {
  it("averages over the whole seconds of its window", () => {
    const meter = new RateMeter(5);
    assert.equal(meter.rate(100), 0);
    for (let s = 100; s < 110; s++) meter.add(s, 10);
    assert.ok(Math.abs(meter.rate(109.999) - 50 / 5) < 0.01);
  });

  it("does not overstate a young stream", () => {
    const meter = new RateMeter(5);
    meter.add(10, 4);
    assert.equal(meter.rate(10.5), 4); // at least one second
  });
});
