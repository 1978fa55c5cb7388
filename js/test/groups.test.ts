import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GroupedColumns, groupStats, seriesLabels } from "../src/views/groups";

const f64 = (values: number[]): Float64Array => Float64Array.from(values);

describe("GroupedColumns", () => {
  it("draws one group as Columns does", () => {
    const cols = new GroupedColumns(2, 10, null);
    cols.append(0, f64([1000, 2000]), [f64([1, 2]), f64([Number.NaN, 3])]);
    assert.deepEqual(cols.thin(100, 1e-3), [
      [1, 2],
      [1, 2],
      [null, 3],
    ]);
  });

  it("merges groups on one time axis, null where a group has no point", () => {
    const cols = new GroupedColumns(1, 10, null);
    cols.append(0, f64([1, 3, 5]), [f64([10, 30, 50])]);
    cols.append(1, f64([2, 3, 6]), [f64([200, 300, 600])]);
    assert.deepEqual(cols.thin(100), [
      [1, 2, 3, 5, 6],
      [10, null, 30, 50, null],
      [null, 200, 300, null, 600],
    ]);
  });

  it("bounds points per group: a fast group keeps the slow one's points", () => {
    const cols = new GroupedColumns(1, 2, null);
    cols.append(1, f64([0.5]), [f64([7])]); // group 0 exists (empty) once group 1 comes
    cols.append(0, f64([1, 2, 3, 4]), [f64([1, 2, 3, 4])]);
    assert.equal(cols.length, 3);
    assert.deepEqual(cols.thin(100), [
      [0.5, 3, 4],
      [null, 3, 4],
      [7, null, null],
    ]);
  });

  it("counts the time span back from the newest point of any group", () => {
    const cols = new GroupedColumns(1, 100, 1000);
    cols.append(0, f64([0, 100]), [f64([1, 2])]);
    cols.append(1, f64([500]), [f64([5])]);
    cols.append(0, f64([1200]), [f64([3])]); // group 0's 0 and 100 are too old; group 1's 500 is not
    assert.deepEqual(cols.thin(100)[0], [500, 1200]);
    cols.append(0, f64([1600]), [f64([4])]); // now group 1's 500 is too old too
    assert.deepEqual(cols.thin(100), [
      [1200, 1600],
      [3, 4],
      [null, null],
    ]);
    cols.setBounds(1, null);
    assert.deepEqual(cols.thin(100)[0], [1600]);
  });

  it("thins many points on one grid of buckets, min and max per series in order", () => {
    const cols = new GroupedColumns(1, 1000, null);
    cols.append(0, f64([0, 1, 2, 3, 4, 5, 6, 7]), [f64([1, 9, 2, 3, 5, 0, 4, 8])]);
    cols.append(1, f64([0.5, 2.5, 4.5]), [f64([20, 10, 30])]);
    const [xs, a, b] = cols.thin(2);
    // Two buckets, [0, 3.5) and [3.5, 7]: each drawn at its first and last time.
    assert.deepEqual(xs, [0, 3, 4, 7]);
    assert.deepEqual(a, [1, 9, 0, 8]);
    assert.deepEqual(b, [20, 10, 30, 30]); // one point in the second bucket: drawn at both
  });

  it("draws at most about two points per bucket, however many groups", () => {
    const cols = new GroupedColumns(1, 100_000, null);
    for (let g = 0; g < 20; g++) {
      const t = f64(Array.from({ length: 5000 }, (_, i) => i * 20 + g));
      cols.append(g, t, [t.map((v) => Math.sin(v))]);
    }
    const table = cols.thin(300);
    assert.equal(table.length, 21);
    assert.ok((table[0]?.length ?? 0) <= 600);
    for (const column of table) assert.equal(column.length, table[0]?.length);
    assert.equal(table[0]?.[0], 0);
    assert.equal(table[0]?.at(-1), 4999 * 20 + 19);
  });

  it("keeps its groups when cleared, and draws none before any", () => {
    const cols = new GroupedColumns(2, 10, null);
    assert.deepEqual(cols.thin(100), [[]]);
    cols.append(1, f64([1]), [f64([1]), f64([2])]);
    cols.clear();
    assert.deepEqual(cols.thin(100), [[], [], [], [], []]);
  });
});

describe("labels and counters", () => {
  it("labels a line by its group, and its path when there are several", () => {
    assert.deepEqual(seriesLabels(["price"], null), ["price"]);
    assert.deepEqual(seriesLabels(["price"], ["ABC", "XYZ"]), ["ABC", "XYZ"]);
    assert.deepEqual(seriesLabels(["bid", "ask"], ["ABC"]), ["ABC · bid", "ABC · ask"]);
  });

  it("says what was not placed", () => {
    const none = { ungrouped: 0, extraGroups: 0, extraMessages: 0 };
    assert.deepEqual(groupStats("symbol", 20, none, "drawn"), []);
    assert.deepEqual(groupStats("data.sym", 2, { ungrouped: 4, extraGroups: 3, extraMessages: 12 }, "drawn"), [
      "3 groups not drawn (max_groups=2): 12 messages",
      "4 without data.sym",
    ]);
    assert.deepEqual(groupStats("s", 1, { ungrouped: 0, extraGroups: 1, extraMessages: 1 }, "shown"), [
      "1 group not shown (max_groups=1): 1 message",
    ]);
  });
});
