import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { follow, managerOf, onChange, onMessage, post, Requests, sendRequest } from "../src/model";
import { FakeModel } from "./fake-model";

// post() reports a failed send on the console; keep the test output clean.
const consoleError = console.error;
beforeEach(() => {
  console.error = () => undefined;
});
afterEach(() => {
  console.error = consoleError;
});

describe("Requests", () => {
  it("sends the content with an id and resolves with the <type>_result reply", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const answer = requests.request({ type: "get", seq: 7 });
    const sent = model.last();
    assert.equal(sent.type, "get");
    assert.equal(sent.seq, 7);
    assert.equal(typeof sent.id, "number");
    const buffer = new DataView(new ArrayBuffer(2));
    model.receive({ type: "get_result", id: sent.id, kind: "binary" }, [buffer]);
    const reply = await answer;
    assert.equal(reply.content.kind, "binary");
    assert.equal(reply.buffers[0], buffer);
    assert.equal(requests.size, 0);
  });

  it("gives every request its own id and matches replies by id", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const first = requests.request({ type: "get", seq: 1 });
    const second = requests.request({ type: "get", seq: 2 });
    const [a, b] = model.sent.map((m) => m.content.id);
    assert.notEqual(a, b);
    model.receive({ type: "get_result", id: b, seq: 2 });
    model.receive({ type: "get_result", id: a, seq: 1 });
    assert.equal((await first).content.seq, 1);
    assert.equal((await second).content.seq, 2);
  });

  it("ignores replies of another type, unknown ids and other messages", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const answer = requests.request({ type: "send", format: "text", data: "x" });
    const id = model.last().id;
    model.receive({ type: "get_result", id });
    model.receive({ type: "send_result", id: -1 });
    model.receive({ type: "frames", frames: [] });
    assert.equal(requests.size, 1);
    model.receive({ type: "send_result", id, error: null });
    await answer;
    assert.equal(requests.size, 0);
  });

  it("rejects with the reason of an error reply", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const answer = requests.request({ type: "get", seq: 1 });
    model.receive({ type: "get_result", id: model.last().id, error: "message #1 is no longer kept" });
    await assert.rejects(answer, { message: "message #1 is no longer kept" });
  });

  it("treats an empty error as success", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const answer = requests.request({ type: "send" });
    model.receive({ type: "send_result", id: model.last().id, error: "" });
    await answer;
  });

  it("waits for the reply type it is told", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal, { idPrefix: "iws-t-" });
    const answer = requests.request({ type: "ping" }, { reply: "ping" });
    const id = model.last().id;
    assert.match(String(id), /^iws-t-\d+$/);
    model.receive({ type: "ping", id, rtt: 0.5 });
    assert.equal((await answer).content.rtt, 0.5);
  });

  it("rejects with a clear error when no reply comes in time", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const answer = requests.request({ type: "run" }, { timeoutMs: 20 });
    await assert.rejects(answer, /no answer from the kernel within 0.02 s/);
    assert.equal(requests.size, 0);
    model.receive({ type: "run_result", id: model.last().id }); // too late: ignored
  });

  it("rejects pending requests when the signal aborts, and new ones at once", async () => {
    const model = new FakeModel();
    const controller = new AbortController();
    const requests = new Requests(model, controller.signal, { closed: "the log was closed" });
    const answer = requests.request({ type: "get", seq: 1 }, { timeoutMs: 10_000 });
    assert.equal(model.listeners("msg:custom"), 1);
    controller.abort();
    await assert.rejects(answer, { message: "the log was closed" });
    assert.equal(model.listeners("msg:custom"), 0);
    await assert.rejects(requests.request({ type: "get", seq: 2 }), { message: "the log was closed" });
  });

  it("rejects when the message cannot be sent", async () => {
    const model = new FakeModel();
    model.failSend = "comm closed";
    const requests = new Requests(model, new AbortController().signal);
    await assert.rejects(requests.request({ type: "get" }), { message: "could not reach the kernel: comm closed" });
    assert.equal(requests.size, 0);
  });
});

describe("sendRequest", () => {
  it("sends text as {type: send, id, format, data} and resolves to null", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const result = sendRequest(requests, "json", '{"a": 1}');
    const { content, buffers } = model.sent[0] ?? assert.fail("nothing sent");
    assert.deepEqual(Object.keys(content).sort(), ["data", "format", "id", "type"]);
    assert.equal(content.format, "json");
    assert.deepEqual(buffers, []);
    model.receive({ type: "send_result", id: content.id, error: null });
    assert.equal(await result, null);
  });

  it("sends bytes as one buffer with format binary and resolves to the error text", async () => {
    const model = new FakeModel();
    const requests = new Requests(model, new AbortController().signal);
    const result = sendRequest(requests, "binary", new Uint8Array([1, 2, 3]));
    const { content, buffers } = model.sent[0] ?? assert.fail("nothing sent");
    assert.deepEqual(Object.keys(content).sort(), ["format", "id", "type"]);
    assert.equal(content.format, "binary");
    assert.deepEqual([...new Uint8Array(buffers[0] as ArrayBuffer)], [1, 2, 3]);
    model.receive({ type: "send_result", id: content.id, error: "the connection is closed" });
    assert.equal(await result, "the connection is closed");
  });
});

describe("listening", () => {
  it("onMessage passes objects only and stops when the signal aborts", () => {
    const model = new FakeModel();
    const controller = new AbortController();
    const seen: unknown[] = [];
    onMessage(model, (content) => seen.push(content.type), controller.signal);
    model.receive({ type: "a" });
    model.emit("msg:custom", "not an object");
    controller.abort();
    model.receive({ type: "b" });
    assert.deepEqual(seen, ["a"]);
  });

  it("onChange listens to each trait until the signal aborts", () => {
    const model = new FakeModel();
    const controller = new AbortController();
    let calls = 0;
    onChange(model.as<{ a: number; b: number }>(), ["a", "b"], () => calls++, controller.signal);
    model.emit("change:a");
    model.emit("change:b");
    controller.abort();
    model.emit("change:a");
    assert.equal(calls, 2);
    assert.equal(model.listeners("change:a") + model.listeners("change:b"), 0);
  });

  it("post returns null, or the error text when sending fails", () => {
    const model = new FakeModel();
    assert.equal(post(model, { type: "hello" }), null);
    model.failSend = "no comm";
    assert.equal(post(model, { type: "hello" }), "could not reach the kernel: no comm");
  });
});

describe("follow", () => {
  it("says hello with an id, then takes its own reset and the updates after it", () => {
    const model = new FakeModel();
    const log: string[] = [];
    follow(
      model,
      new AbortController().signal,
      "window",
      (content) => log.push(`reset ${String(content.n)}`),
      (content) => log.push(`update ${String(content.n)}`),
    );
    const hello = model.last();
    assert.equal(hello.type, "hello");
    model.receive({ type: "points", n: 1 }); // before the answer: already in it
    model.receive({ type: "window", id: "someone else", n: 2 });
    model.receive({ type: "window", id: hello.id, n: 3 });
    model.receive({ type: "points", n: 4 });
    assert.deepEqual(log, ["reset 3", "update 4"]);
  });
});

describe("managerOf", () => {
  it("names a Jupyter widget manager (a class instance)", () => {
    class Manager {}
    const manager = new Manager();
    assert.equal(managerOf({ widget_manager: manager }), manager);
  });

  it("names none for marimo's per-proxy plain object, or when there is none", () => {
    // marimo: each initialize/render proxy has a new { get_model } object.
    assert.equal(managerOf({ widget_manager: { get_model: async () => null } }), undefined);
    assert.equal(managerOf({}), undefined);
  });
});
