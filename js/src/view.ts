// One view's DOM. Incoming data is only ever set through textContent/title.
import {
  closeCodeName,
  formatBytes,
  formatClose,
  formatCount,
  formatOmitted,
  formatRate,
  formatTime,
  plural,
  toNumber,
  toText,
} from "./format";
import { type FrameStore, listen } from "./store";
import type { Model, Row, SendFormat } from "./types";

const DISPLAYED_TRAITS = [
  "url",
  "status",
  "error",
  "received",
  "sent",
  "bytes_received",
  "bytes_sent",
  "rate",
  "close_code",
  "close_reason",
  "subprotocol",
  "reconnects",
  "evicted",
  "callback_errors",
  "lost",
  "mode",
];

const SEND_TIMEOUT_MS = 10_000;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A labelled counter; the value element holds nothing but the value. */
function stat(valueClass: string, label: string, title: string): [HTMLElement, HTMLElement] {
  const wrapper = h("span", "iws-stat");
  wrapper.title = title;
  const value = h("span", valueClass);
  wrapper.append(h("span", "iws-stat-label", label), value);
  return [wrapper, value];
}

// Writing unchanged text would still cost a layout; skip it.
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function setData(node: HTMLElement, key: string, value: string | null): void {
  if (value === null) delete node.dataset[key];
  else if (node.dataset[key] !== value) node.dataset[key] = value;
}

function rowElement(row: Row): HTMLElement {
  const node = h("div", "iws-row");
  node.dataset.dir = row.dir;
  node.dataset.seq = String(row.seq);
  node.dataset.kind = row.kind;
  if (row.json) node.dataset.json = "true";
  const dir = h("span", "iws-dir", row.dir === "out" ? "↑" : "↓");
  dir.title = row.dir === "out" ? "sent" : "received";
  const time = h("span", "iws-time", formatTime(row.time));
  const date = new Date(row.time);
  if (!Number.isNaN(date.getTime())) time.title = date.toISOString();
  const size = h("span", "iws-size", formatBytes(row.size));
  size.title = `${formatCount(row.size)} bytes, ${row.kind}${row.json ? " (JSON)" : ""}`;
  const text = h("span", "iws-text", row.text);
  text.title = row.text;
  node.append(dir, time, size, text);
  return node;
}

/** Builds one view of `model` inside `el`; everything is undone when `signal` aborts. */
export function createView(model: Model, el: HTMLElement, store: FrameStore, signal: AbortSignal): void {
  const root = h("div", "iws-widget");

  // Header: status, URL, buttons; then the counters.
  const status = h("span", "iws-status");
  const url = h("span", "iws-url");
  const subprotocol = h("span", "iws-subprotocol");
  subprotocol.title = "negotiated subprotocol";
  const connectButton = h("button", "iws-connect-button", "Connect");
  connectButton.type = "button";
  connectButton.title = "Open the connection again";
  const closeButton = h("button", "iws-close-button", "Close");
  closeButton.type = "button";
  closeButton.title = "Close the connection";
  const titleBar = h("div", "iws-titlebar");
  titleBar.append(status, url, subprotocol, connectButton, closeButton);

  const [receivedStat, received] = stat("iws-received", "in", "messages received");
  const [sentStat, sent] = stat("iws-sent", "out", "messages sent");
  const [bytesStat, bytes] = stat("iws-bytes", "bytes", "bytes received ↓ / sent ↑");
  const [rateStat, rate] = stat("iws-rate", "rate", "messages received per second");
  const [reconnectsStat, reconnects] = stat("iws-reconnects", "reconnects", "automatic reconnections");
  const close = h("span", "iws-close");
  const stats = h("div", "iws-stats");
  stats.append(receivedStat, sentStat, bytesStat, rateStat, reconnectsStat, close);

  const header = h("div", "iws-header");
  header.append(titleBar, stats);

  const error = h("div", "iws-error");
  error.setAttribute("role", "alert");

  // Log: omitted notice, rows (oldest first), empty placeholder.
  const log = h("div", "iws-log");
  const omitted = h("div", "iws-omitted");
  const rowsEl = h("div", "iws-rows");
  const empty = h("div", "iws-empty", "No messages yet");
  log.append(omitted, rowsEl, empty);

  // Send box.
  const input = h("textarea", "iws-send-input");
  input.rows = 1;
  input.placeholder = "Message to send (Enter sends, Shift+Enter adds a line)";
  input.spellcheck = false;
  input.setAttribute("aria-label", "message to send");
  const format = h("select", "iws-send-format");
  format.title = "send as text, or check that it is valid JSON first";
  for (const value of ["text", "json"]) format.append(new Option(value, value));
  const sendButton = h("button", "iws-send-button", "Send");
  sendButton.type = "button";
  const sendBox = h("div", "iws-send");
  sendBox.append(input, format, sendButton);
  const sendError = h("div", "iws-send-error");
  sendError.setAttribute("role", "status");

  const evicted = h("span", "iws-evicted");
  evicted.title = "the kernel keeps a bounded history; older messages were dropped from it";
  const callbackErrors = h("span", "iws-callback-errors");
  callbackErrors.title = "exceptions raised by your message callbacks";
  const lost = h("span", "iws-lost");
  lost.title = "messages the browser handled that never reached the kernel (a gap in their numbering)";
  const footer = h("div", "iws-footer");
  footer.append(evicted, callbackErrors, lost);

  root.append(header, error, log, sendBox, sendError, footer);
  el.append(root);

  function updateHeader(): void {
    const statusWord = toText(store.value("status")) || "closed";
    const errorText = toText(store.value("error"));
    const closed = statusWord === "closed";
    setData(root, "status", statusWord);
    setData(status, "status", statusWord);
    setData(root, "error", errorText ? "true" : null);
    setData(status, "error", errorText ? "true" : null);
    setText(status, statusWord);

    const urlText = toText(store.value("url"));
    setText(url, urlText);
    url.title = urlText;
    const sub = toText(store.value("subprotocol"));
    setText(subprotocol, sub);
    subprotocol.hidden = sub === "";

    setText(received, formatCount(store.value("received")));
    setText(sent, formatCount(store.value("sent")));
    setText(bytes, `↓${formatBytes(store.value("bytes_received"))} ↑${formatBytes(store.value("bytes_sent"))}`);
    bytesStat.title =
      `${formatCount(store.value("bytes_received"))} bytes received, ` +
      `${formatCount(store.value("bytes_sent"))} bytes sent`;
    setText(rate, formatRate(store.value("rate")));
    setText(reconnects, formatCount(store.value("reconnects")));

    const code = store.value("close_code");
    setText(close, formatClose(code, store.value("close_reason")));
    close.hidden = code == null;
    close.title = code == null ? "" : closeCodeName(toNumber(code));

    connectButton.hidden = !closed;
    closeButton.hidden = closed;
    closeButton.disabled = statusWord === "closing";

    setText(error, errorText);
    error.hidden = errorText === "";

    const evictedCount = toNumber(store.value("evicted"));
    const errorCount = toNumber(store.value("callback_errors"));
    setText(evicted, evictedCount > 0 ? `${plural(evictedCount, "message")} evicted from the kernel's history` : "");
    setText(callbackErrors, errorCount > 0 ? `${plural(errorCount, "callback error")}` : "");
    const lostCount = toNumber(store.value("lost"));
    setText(lost, lostCount > 0 ? `${plural(lostCount, "message")} lost between browser and kernel` : "");
    evicted.hidden = evictedCount <= 0;
    callbackErrors.hidden = errorCount <= 0;
    lost.hidden = lostCount <= 0;
    footer.hidden = evictedCount <= 0 && errorCount <= 0 && lostCount <= 0;
    status.title = `connection status (socket runs in the ${toText(store.value("mode")) || "kernel"})`;
  }

  let renderedEpoch = -1;
  let renderedTotal = 0;

  function updateLog(): void {
    // Measure before touching the DOM: follow new rows only if the user is at the bottom.
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight <= 8;
    if (store.epoch !== renderedEpoch) {
      rowsEl.replaceChildren();
      renderedEpoch = store.epoch;
      renderedTotal = store.total - store.rows.length;
    }
    const first = store.total - store.rows.length;
    const fragment = document.createDocumentFragment();
    for (let i = Math.max(renderedTotal, first); i < store.total; i++) {
      const row = store.rows[i - first];
      if (row) fragment.append(rowElement(row));
    }
    rowsEl.append(fragment);
    renderedTotal = store.total;
    for (let excess = rowsEl.childElementCount - store.rows.length; excess > 0; excess--) {
      rowsEl.firstElementChild?.remove();
    }
    empty.hidden = store.rows.length > 0;
    setText(omitted, store.omitted > 0 ? formatOmitted(store.omitted) : "");
    omitted.hidden = store.omitted <= 0;
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  // Updates are coalesced to at most one per animation frame.
  let frame = 0;
  let headerDirty = true;
  let logDirty = true;
  function flush(): void {
    frame = 0;
    if (headerDirty) updateHeader();
    if (logDirty) updateLog();
    headerDirty = logDirty = false;
  }
  function schedule(): void {
    if (frame === 0 && !signal.aborted) frame = requestAnimationFrame(flush);
  }
  flush();

  for (const name of DISPLAYED_TRAITS) {
    listen(model, `change:${name}`, () => ((headerDirty = true), schedule()), signal);
  }
  // The store changes with new rows, and (in the browser that holds a socket) its counters.
  store.subscribe(() => ((logDirty = headerDirty = true), schedule()), signal);

  // Sending. Only the latest request may clear the error line; any failure shows.
  let latestRequest = 0;
  function showSendError(text: string, level: "error" | "warn" = "error"): void {
    setText(sendError, text);
    sendError.hidden = text === "";
    sendError.dataset.level = level;
  }
  showSendError("");

  function send(): void {
    const data = input.value;
    const sendFormat: SendFormat = format.value === "json" ? "json" : "text";
    if (sendFormat === "json") {
      try {
        JSON.parse(data);
      } catch (exc) {
        showSendError(`not sent: invalid JSON (${exc instanceof Error ? exc.message : String(exc)})`);
        return;
      }
    }
    showSendError("");
    const request = ++latestRequest;
    const timer = window.setTimeout(() => {
      if (request === latestRequest && !signal.aborted) {
        showSendError("no answer from the kernel yet: it may be busy running a cell", "warn");
      }
    }, SEND_TIMEOUT_MS);
    void store.request(sendFormat, data).then((errorText) => {
      window.clearTimeout(timer);
      if (signal.aborted) return;
      if (errorText !== null) showSendError(errorText);
      else if (request === latestRequest) showSendError("");
    });
  }

  sendButton.addEventListener("click", send, { signal });
  input.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Enter") return;
      // Keep Enter/Shift+Enter away from the notebook's own shortcuts.
      event.stopPropagation();
      if (event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      send();
    },
    { signal },
  );
  input.addEventListener(
    "input",
    () => {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
    },
    { signal },
  );
  for (const [button, type] of [
    [connectButton, "connect"],
    [closeButton, "close"],
  ] as const) {
    button.addEventListener(
      "click",
      () => {
        const errorText = store.post({ type });
        if (errorText !== null) showSendError(errorText);
      },
      { signal },
    );
  }

  signal.addEventListener(
    "abort",
    () => {
      if (frame !== 0) cancelAnimationFrame(frame);
      frame = 0;
      root.remove();
    },
    { once: true },
  );
}
