// The benchmarks' streaming source: small JSON messages (~60 bytes) over `ws`.
//
// Usage: node server.mjs [--count N] [--rate R] [--graphql 1]
//   --count N    messages per connection, then a close with 1000 "done" (0: never stop)
//   --rate R     messages per second per connection (0: as fast as the client reads)
//   --graphql 1  speak graphql-transport-ws: connection_ack for connection_init, then for
//                the first subscribe each tick as {"id","type":"next","payload":{"data":
//                {"tick":...}}}, and complete before the close (bench/protocols.py)
// Prints its URL (ws://127.0.0.1:PORT) on the first stdout line, then serves
// every connection on its own. Exits when stdin closes, so that it never
// outlives the benchmark that started it.
//
// Backpressure: the fast mode keeps at most WINDOW chunks of CHUNK messages in
// flight (the send callback of a chunk's last message says it reached the
// socket), so a slow reader never makes the server buffer a million messages.
import { WebSocketServer } from "ws";

const args = { count: 0, rate: 0, graphql: 0 };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, "");
  if (!(name in args)) {
    console.error(`[ipywebsockets bench] unknown option ${process.argv[i]}`);
    process.exit(2);
  }
  args[name] = Number(process.argv[i + 1]);
}

const CHUNK = 500;
const WINDOW = 4;
const HIGH_WATER = 1 << 20; // bytes buffered before the rate-limited mode waits

const tick = (seq) => `{"type":"tick","seq":${seq},"symbol":"ABC","price":${(100 + (seq % 997) / 100).toFixed(2)}}`;

// What goes on the wire for message `seq`: the tick, or a GraphQL result carrying it.
const frame = (state, seq) =>
  args.graphql ? `{"id":"${state.id}","type":"next","payload":{"data":{"tick":${tick(seq)}}}}` : tick(seq);

function done(ws, state) {
  return args.count > 0 && state.sent >= args.count;
}

function finish(ws, state) {
  if (args.graphql) ws.send(`{"id":"${state.id}","type":"complete"}`);
  ws.close(1000, "done");
}

function pumpFast(ws, state) {
  while (state.inFlight < WINDOW && !done(ws, state) && ws.readyState === ws.OPEN) {
    const end = args.count > 0 ? Math.min(state.sent + CHUNK, args.count) : state.sent + CHUNK;
    for (; state.sent < end - 1; state.sent++) ws.send(frame(state, state.sent));
    state.inFlight++;
    ws.send(frame(state, state.sent++), (err) => {
      state.inFlight--;
      if (!err) pumpFast(ws, state);
    });
  }
  if (done(ws, state) && !state.closing) {
    state.closing = true;
    finish(ws, state); // queued after the messages: the client reads all of them first
  }
}

// Rate-limited connections share one timer: each sends what is due since it opened.
const paced = new Set();
let timer = null;

function pace() {
  const now = performance.now();
  for (const state of paced) {
    const { ws } = state;
    if (ws.readyState !== ws.OPEN) {
      paced.delete(state);
      continue;
    }
    let due = Math.floor(((now - state.start) * args.rate) / 1000);
    if (args.count > 0) due = Math.min(due, args.count);
    while (state.sent < due && ws.bufferedAmount < HIGH_WATER) ws.send(frame(state, state.sent++));
    if (done(ws, state)) {
      paced.delete(state);
      finish(ws, state);
    }
  }
  if (paced.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

function stream(state) {
  state.start = performance.now();
  if (args.rate > 0) {
    paced.add(state);
    if (timer === null) timer = setInterval(pace, 5);
  } else {
    pumpFast(state.ws, state);
  }
}

const server = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: false,
  handleProtocols: (offered) => (args.graphql && offered.has("graphql-transport-ws") ? "graphql-transport-ws" : false),
});
server.on("connection", (ws) => {
  const state = { ws, sent: 0, inFlight: 0, closing: false, start: performance.now(), id: "" };
  ws.on("error", () => {});
  if (!args.graphql) {
    ws.on("message", () => {}); // clients may talk; the source does not answer
    stream(state);
    return;
  }
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === "connection_init") ws.send('{"type":"connection_ack"}');
    else if (msg.type === "ping") ws.send('{"type":"pong"}');
    else if (msg.type === "subscribe" && !state.id) {
      state.id = msg.id;
      stream(state);
    }
  });
});
server.on("listening", () => {
  process.stdout.write(`ws://127.0.0.1:${server.address().port}\n`);
});

process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
process.on("SIGTERM", () => process.exit(0));
