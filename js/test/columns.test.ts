import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Columns, float64 } from "../src/views/columns";

const f64 = (values: number[]): Float64Array => Float64Array.from(values);

describe("Columns", () => {
  it("keeps at most maxPoints, the newest", () => {
    const cols = new Columns(1, 3, null);
    cols.append(f64([1, 2]), [f64([10, 20])]);
    cols.append(f64([3, 4, 5]), [f64([30, 40, 50])]);
    assert.equal(cols.length, 3);
    assert.deepEqual(cols.thin(100), [
      [3, 4, 5],
      [30, 40, 50],
    ]);
  });

  it("drops points older than the time span", () => {
    const cols = new Columns(1, 100, 1000);
    cols.append(f64([0, 500, 1200, 1600]), [f64([1, 2, 3, 4])]);
    assert.deepEqual(cols.thin(100)[0], [1200, 1600]);
    cols.setBounds(100, null);
    cols.append(f64([5000]), [f64([5])]);
    assert.deepEqual(cols.thin(100)[0], [1200, 1600, 5000]);
  });

  it("fills a series without values with NaN, drawn as null; scales times", () => {
    const cols = new Columns(2, 10, null);
    cols.append(f64([1000, 2000]), [f64([1, Number.NaN])]);
    assert.deepEqual(cols.thin(10, 1e-3), [
      [1, 2],
      [1, null],
      [null, null],
    ]);
  });

  it("grows past its first capacity", () => {
    const cols = new Columns(1, 5000, null);
    for (let i = 0; i < 3000; i += 100) {
      const t = f64(Array.from({ length: 100 }, (_, k) => i + k));
      cols.append(t, [t]);
    }
    assert.equal(cols.length, 3000);
    assert.deepEqual(cols.thin(2000)[0]?.slice(-2), [2998, 2999]);
  });
});

describe("thinning", () => {
  it("keeps each pixel column's first and last time and its min and max, in order", () => {
    const cols = new Columns(1, 1000, null);
    // Two buckets of four points: a peak in the first, a dip then a rise in the second.
    cols.append(f64([0, 1, 2, 3, 4, 5, 6, 7]), [f64([1, 9, 2, 3, 5, 0, 4, 8])]);
    const [xs, ys] = cols.thin(2);
    assert.deepEqual(xs, [0, 3, 4, 7]);
    assert.deepEqual(ys, [1, 9, 0, 8]);
  });

  it("keeps the min and the max in the order they came", () => {
    const falling = new Columns(1, 1000, null);
    falling.append(f64([0, 1, 2, 3]), [f64([5, 9, 1, 1])]);
    assert.deepEqual(falling.thin(1)[1], [9, 1]);
    const rising = new Columns(1, 1000, null);
    rising.append(f64([0, 1, 2, 3]), [f64([5, 1, 9, 9])]);
    assert.deepEqual(rising.thin(1)[1], [1, 9]);
  });

  it("draws at most about two points per bucket", () => {
    const cols = new Columns(1, 100_000, null);
    const t = f64(Array.from({ length: 10_000 }, (_, i) => i));
    cols.append(t, [t.map((v) => Math.sin(v))]);
    const [xs] = cols.thin(300);
    assert.ok((xs?.length ?? 0) <= 600);
    assert.equal(xs?.[0], 0);
    assert.equal(xs?.[(xs?.length ?? 1) - 1], 9999);
  });
});

describe("float64", () => {
  it("copies a column from an unaligned DataView", () => {
    const bytes = new Uint8Array(17);
    new DataView(bytes.buffer).setFloat64(1, 2.5, true);
    new DataView(bytes.buffer).setFloat64(9, -1, true);
    assert.deepEqual([...float64(new DataView(bytes.buffer, 1, 16))], [2.5, -1]);
    assert.deepEqual([...float64("nothing")], []);
  });
});
