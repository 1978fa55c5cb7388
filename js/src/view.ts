// The WebSocket widget's own display: status bar, the Log, the Composer, a footer.
// It reads the store and calls its host; no model access (index.ts binds it).
// Incoming data is only ever set through textContent/title.
import { closeCodeName, formatBytes, formatClose, formatCount, formatRate, plural, toNumber, toText } from "./format";
import type { FrameStore } from "./store";
import type { SavedMessage } from "./types";
import { createComposer } from "./views/composer";
import { h, LOG_PHASE_MS, newSlot, pinned, setText, TEXT_SLOT_MS } from "./views/dom";
import { createLog } from "./views/log";
import { createMetrics, interArrival, recordStatus, type StatusChange } from "./views/metrics";

/** The traits the display shows: it redraws when one changes. */
export const DISPLAYED_TRAITS = [
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
  "binding_errors",
  "latency",
] as const;

/** What the display needs besides the store: traits only the kernel knows, and the saved list. */
export interface SocketViewHost {
  latency(): number | null | undefined;
  bindingErrors(): string[];
  saved(): SavedMessage[];
  setSaved(list: SavedMessage[]): void;
}

export interface SocketViewHandle {
  /** A displayed trait changed. */
  traitsChanged(): void;
  /** The saved list changed. */
  savedChanged(): void;
}

const METRICS_EVERY_MS = 250;

/** A labelled counter; the value element holds nothing but the value. */
function stat(valueClass: string, label: string, title: string): [HTMLElement, HTMLElement] {
  const wrapper = h("span", "iws-stat");
  wrapper.title = title;
  const value = h("span", valueClass);
  wrapper.append(h("span", "iws-stat-label", label), value);
  return [wrapper, value];
}

function setData(node: HTMLElement, key: string, value: string | null): void {
  if (value === null) delete node.dataset[key];
  else if (node.dataset[key] !== value) node.dataset[key] = value;
}

/** Builds one view of a widget inside `el`; everything is undone when `signal` aborts. */
export function createView(
  el: HTMLElement,
  store: FrameStore,
  host: SocketViewHost,
  signal: AbortSignal,
): SocketViewHandle {
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
  const metrics = createMetrics(header, signal);
  const timeline: StatusChange[] = [];
  let metricsAt = 0;

  const error = h("div", "iws-error");
  error.setAttribute("role", "alert");

  const evicted = h("span", "iws-evicted");
  evicted.title = "the kernel keeps a bounded history; older messages were dropped from it";
  const callbackErrors = h("span", "iws-callback-errors");
  callbackErrors.title = "exceptions raised by your message callbacks";
  const lost = h("span", "iws-lost");
  lost.title = "messages the browser handled that never reached the kernel (a gap in their numbering)";
  const bindingErrors = h("div", "iws-binding-errors");
  bindingErrors.title = "errors from bindings of this socket to other widgets";
  const footer = h("div", "iws-footer");
  footer.append(evicted, callbackErrors, lost, bindingErrors);

  // The counters change at every frame: the header lays out on its own (see pinned).
  root.append(pinned(header, signal), error);
  el.append(root);
  const logView = createLog(root, store, signal);
  const composer = createComposer(
    root,
    {
      send: (format, data) => store.request(format, data),
      saved: () => host.saved(),
      setSaved: (list) => host.setSaved(list),
    },
    signal,
  );
  // Its counts change with every update (evicted): it lays out on its own too.
  const footerSlot = pinned(footer, signal);
  root.append(footerSlot);

  // At most 4 updates a second (inter-arrival times sort 1,000 gaps), and always the last one.
  let metricsTimer = 0;
  function updateMetrics(now_: boolean): void {
    const wait = metricsAt + METRICS_EVERY_MS - performance.now();
    if (!now_ && wait > 0) {
      if (metricsTimer === 0 && !signal.aborted) {
        metricsTimer = window.setTimeout(() => {
          metricsTimer = 0;
          updateMetrics(true);
        }, wait);
      }
      return;
    }
    window.clearTimeout(metricsTimer);
    metricsTimer = 0;
    metricsAt = performance.now();
    metrics.update({
      mode: toText(store.value("mode")) || "kernel",
      rate: null, // the counters above show it
      gaps: interArrival(store.ring),
      latency: host.latency(),
      timeline,
    });
  }

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
    const bindingTexts = host.bindingErrors();
    setText(bindingErrors, bindingTexts.join("\n"));
    bindingErrors.hidden = bindingTexts.length === 0;
    footer.hidden = evictedCount <= 0 && errorCount <= 0 && lostCount <= 0 && bindingTexts.length === 0;
    footerSlot.hidden = footer.hidden;
    composer.setStatus(statusWord);
    updateMetrics(recordStatus(timeline, statusWord));
    status.title = `connection status (socket runs in the ${toText(store.value("mode")) || "kernel"})`;
  }

  // Updates are coalesced to at most 15 a second, in the frames its log redraws in.
  let frame = 0;
  let headerDirty = true;
  let flushedAt = Number.NEGATIVE_INFINITY;
  function flush(now = performance.now()): void {
    frame = 0;
    if (!newSlot(now, flushedAt, TEXT_SLOT_MS, LOG_PHASE_MS)) {
      schedule();
      return;
    }
    flushedAt = now;
    if (headerDirty) updateHeader();
    headerDirty = false;
  }
  function schedule(): void {
    if (frame === 0 && !signal.aborted) frame = requestAnimationFrame(flush);
  }
  flush();

  // The store changes with new rows, and (in the browser that holds a socket) its counters.
  // The log draws itself once per animation frame, however fast rows come.
  store.subscribe(() => {
    headerDirty = true;
    schedule();
    logView.update();
  }, signal);

  for (const [button, type] of [
    [connectButton, "connect"],
    [closeButton, "close"],
  ] as const) {
    button.addEventListener(
      "click",
      () => {
        const errorText = store.post({ type });
        if (errorText !== null) composer.showError(errorText);
      },
      { signal },
    );
  }

  signal.addEventListener(
    "abort",
    () => {
      if (frame !== 0) cancelAnimationFrame(frame);
      frame = 0;
      window.clearTimeout(metricsTimer);
      root.remove();
    },
    { once: true },
  );
  return {
    traitsChanged: () => {
      headerDirty = true;
      schedule();
    },
    savedChanged: () => composer.savedChanged(),
  };
}
