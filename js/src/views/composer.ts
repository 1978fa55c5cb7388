// The composer: write and send text, JSON (checked before sending) or binary
// (hex); keep a list of saved messages; repeat a message every N ms until
// stopped or until the connection closes. Plain callbacks in, no model access.
import { parseHex, toText } from "../format";
import type { Outgoing, SavedMessage, SendFormat } from "../types";
import { h, setText } from "./dom";

export const MIN_REPEAT_MS = 10;
const SEND_TIMEOUT_MS = 10_000;
const MAX_IN_FLIGHT = 50; // repeated sends not yet answered before a tick is skipped

export interface ComposerHost {
  /** Sends; resolves to an error text, or null once sent (or queued). */
  send(format: SendFormat, data: Outgoing): Promise<string | null>;
  /** The saved messages (the widget's `saved` trait). */
  saved(): SavedMessage[];
  setSaved(list: SavedMessage[]): void;
}

export interface ComposerHandle {
  /** The connection status changed: a repeat stops when it is "closed". */
  setStatus(status: string): void;
  /** The saved list changed elsewhere (another view, the kernel): redraw it. */
  savedChanged(): void;
  /** Shows an error in the composer's error line (e.g. from a button elsewhere). */
  showError(text: string): void;
}

const FORMATS: SendFormat[] = ["text", "json", "binary"];

/** Checks `data` for `format` and turns it into what is sent; throws with the reason. */
export function prepare(format: SendFormat, data: string): Outgoing {
  if (format === "json") {
    try {
      JSON.parse(data);
    } catch (exc) {
      throw new Error(`invalid JSON (${exc instanceof Error ? exc.message : String(exc)})`);
    }
    return data;
  }
  if (format === "binary") return parseHex(data);
  return data;
}

function toSaved(value: unknown): SavedMessage | null {
  if (typeof value !== "object" || value === null) return null;
  const raw = value as Record<string, unknown>;
  const format = FORMATS.includes(raw.format as SendFormat) ? (raw.format as SendFormat) : "text";
  return { name: toText(raw.name), format, data: toText(raw.data) };
}

export function savedList(value: unknown): SavedMessage[] {
  return Array.isArray(value) ? value.map(toSaved).filter((m): m is SavedMessage => m !== null) : [];
}

function defaultName(data: string): string {
  const line = data.replace(/\s+/g, " ").trim();
  return line.length > 40 ? `${line.slice(0, 40)}…` : line || "(empty)";
}

/** Builds the composer inside `parent`; everything is undone when `signal` aborts. */
export function createComposer(parent: HTMLElement, host: ComposerHost, signal: AbortSignal): ComposerHandle {
  const root = h("div", "iws-composer");

  const input = h("textarea", "iws-send-input");
  input.rows = 1;
  input.placeholder = "Message to send (Enter sends, Shift+Enter adds a line)";
  input.spellcheck = false;
  input.setAttribute("aria-label", "message to send");
  const format = h("select", "iws-send-format");
  format.title = "text as it is; JSON checked before sending; binary written as hex (00 ff 1a ...)";
  for (const value of FORMATS) format.append(new Option(value, value));
  const sendButton = h("button", "iws-send-button", "Send");
  sendButton.type = "button";
  const sendBox = h("div", "iws-send");
  sendBox.append(input, format, sendButton);
  const sendError = h("div", "iws-send-error");
  sendError.setAttribute("role", "status");

  const nameInput = h("input", "iws-save-name");
  nameInput.placeholder = "name";
  nameInput.title = "Name for the saved message (default: its start)";
  nameInput.setAttribute("aria-label", "name of the saved message");
  const saveButton = h("button", "iws-save-button", "Save");
  saveButton.type = "button";
  saveButton.title = "Keep this message in the list below (saved with the notebook)";
  const repeatMs = h("input", "iws-repeat-ms");
  repeatMs.type = "number";
  repeatMs.min = String(MIN_REPEAT_MS);
  repeatMs.step = "10";
  repeatMs.value = "1000";
  repeatMs.title = `Repeat interval in milliseconds (at least ${MIN_REPEAT_MS})`;
  repeatMs.setAttribute("aria-label", "repeat interval in milliseconds");
  const repeatButton = h("button", "iws-repeat-button", "Repeat");
  repeatButton.type = "button";
  repeatButton.title = "Send this message every N ms until stopped or the connection closes";
  const repeatStatus = h("span", "iws-repeat-status");
  repeatStatus.setAttribute("role", "status");
  const tools = h("div", "iws-composer-tools");
  const every = h("span", "iws-repeat-label", "every");
  const ms = h("span", "iws-repeat-label", "ms");
  tools.append(nameInput, saveButton, every, repeatMs, ms, repeatButton, repeatStatus);

  const savedEl = h("ul", "iws-saved");
  savedEl.setAttribute("aria-label", "saved messages");

  root.append(sendBox, sendError, tools, savedEl);
  parent.append(root);

  // -- sending ------------------------------------------------------------------------
  let latestRequest = 0;
  function showError(text: string, level: "error" | "warn" = "error"): void {
    setText(sendError, text);
    sendError.hidden = text === "";
    sendError.dataset.level = level;
  }
  showError("");

  function currentFormat(): SendFormat {
    return FORMATS.includes(format.value as SendFormat) ? (format.value as SendFormat) : "text";
  }

  /** Checks and sends; resolves to an error text, or null. */
  function sendNow(fmt: SendFormat, text: string, quiet = false): Promise<string | null> {
    let data: Outgoing;
    try {
      data = prepare(fmt, text);
    } catch (exc) {
      const problem = `not sent: ${exc instanceof Error ? exc.message : String(exc)}`;
      showError(problem);
      return Promise.resolve(problem);
    }
    const request = ++latestRequest;
    if (!quiet) showError("");
    const timer = window.setTimeout(() => {
      if (request === latestRequest && !signal.aborted) {
        showError("no answer from the kernel yet: it may be busy running a cell", "warn");
      }
    }, SEND_TIMEOUT_MS);
    return host.send(fmt, data).then((problem) => {
      window.clearTimeout(timer);
      if (signal.aborted) return problem;
      if (problem !== null) showError(problem);
      else if (request === latestRequest) showError("");
      return problem;
    });
  }

  // -- repeating ------------------------------------------------------------------------
  let repeatTimer = 0;
  let repeatSent = 0;
  let inFlight = 0;
  function stopRepeat(reason: string): void {
    if (repeatTimer !== 0) window.clearInterval(repeatTimer);
    repeatTimer = 0;
    inFlight = 0;
    setText(repeatButton, "Repeat");
    repeatButton.dataset.running = "false";
    setText(repeatStatus, reason);
    repeatStatus.dataset.state = "stopped";
  }
  function startRepeat(): void {
    const fmt = currentFormat();
    const text = input.value;
    try {
      prepare(fmt, text);
    } catch (exc) {
      showError(`not repeated: ${exc instanceof Error ? exc.message : String(exc)}`);
      return;
    }
    let interval = Math.round(Number(repeatMs.value));
    let note = "";
    if (!Number.isFinite(interval) || interval < MIN_REPEAT_MS) {
      interval = MIN_REPEAT_MS;
      repeatMs.value = String(interval);
      note = ` (at least ${MIN_REPEAT_MS} ms)`;
    }
    repeatSent = 0;
    const tick = (): void => {
      if (inFlight >= MAX_IN_FLIGHT) return; // the kernel is behind: skip, do not pile up
      inFlight += 1;
      void sendNow(fmt, text, true).then((problem) => {
        inFlight = Math.max(0, inFlight - 1);
        if (repeatTimer === 0 || signal.aborted) return;
        if (problem !== null) {
          stopRepeat(`repeat stopped after ${repeatSent} sent: ${problem}`);
          return;
        }
        repeatSent += 1;
        setText(repeatStatus, `sending every ${interval} ms${note} · ${repeatSent} sent`);
      });
    };
    repeatTimer = window.setInterval(tick, interval);
    setText(repeatButton, "Stop");
    repeatButton.dataset.running = "true";
    repeatStatus.dataset.state = "running";
    setText(repeatStatus, `sending every ${interval} ms${note}`);
    tick();
  }

  // -- saved messages --------------------------------------------------------------------
  function drawSaved(): void {
    const list = host.saved();
    savedEl.replaceChildren(
      ...list.map((message, i) => {
        const item = h("li", "iws-saved-item");
        item.dataset.format = message.format;
        item.dataset.index = String(i);
        const load = h("button", "iws-saved-load", message.name || defaultName(message.data));
        load.type = "button";
        load.title = `Put it in the editor:\n${message.data.slice(0, 500)}`;
        load.dataset.action = "load";
        const kind = h("span", "iws-saved-format", message.format);
        const send = h("button", "iws-saved-send", "Send");
        send.type = "button";
        send.dataset.action = "send";
        const remove = h("button", "iws-saved-delete", "×");
        remove.type = "button";
        remove.title = "Remove from the list";
        remove.dataset.action = "delete";
        item.append(load, kind, send, remove);
        return item;
      }),
    );
    savedEl.hidden = list.length === 0;
  }

  savedEl.addEventListener(
    "click",
    (event) => {
      const button = (event.target as HTMLElement).closest<HTMLElement>("button[data-action]");
      const item = button?.closest<HTMLElement>(".iws-saved-item");
      if (!button || !item) return;
      const list = host.saved();
      const i = Number(item.dataset.index);
      const message = list[i];
      if (!message) return;
      if (button.dataset.action === "load") {
        input.value = message.data;
        format.value = message.format;
        nameInput.value = message.name;
        input.focus();
      } else if (button.dataset.action === "send") {
        void sendNow(message.format, message.data);
      } else {
        host.setSaved(list.filter((_, k) => k !== i));
      }
    },
    { signal },
  );

  saveButton.addEventListener(
    "click",
    () => {
      const fmt = currentFormat();
      try {
        prepare(fmt, input.value);
      } catch (exc) {
        showError(`not saved: ${exc instanceof Error ? exc.message : String(exc)}`);
        return;
      }
      const name = nameInput.value.trim() || defaultName(input.value);
      const list = host.saved().filter((m) => m.name !== name);
      host.setSaved([...list, { name, format: fmt, data: input.value }]);
      nameInput.value = "";
      showError("");
    },
    { signal },
  );

  sendButton.addEventListener("click", () => void sendNow(currentFormat(), input.value), { signal });
  repeatButton.addEventListener("click", () => (repeatTimer !== 0 ? stopRepeat("repeat stopped") : startRepeat()), {
    signal,
  });
  input.addEventListener(
    "keydown",
    (event) => {
      // Keep every key away from the notebook's own shortcuts (Enter, Shift+Enter, a, b, ...).
      event.stopPropagation();
      if (event.key !== "Enter") return;
      if (event.shiftKey || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      void sendNow(currentFormat(), input.value);
    },
    { signal },
  );
  for (const node of [format, tools, savedEl]) {
    node.addEventListener("keydown", (event) => event.stopPropagation(), { signal });
  }
  input.addEventListener(
    "input",
    () => {
      input.style.height = "auto";
      input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
    },
    { signal },
  );

  signal.addEventListener(
    "abort",
    () => {
      if (repeatTimer !== 0) window.clearInterval(repeatTimer);
      repeatTimer = 0;
      root.remove();
    },
    { once: true },
  );

  drawSaved();
  return {
    setStatus(status: string): void {
      if (repeatTimer !== 0 && status === "closed")
        stopRepeat(`repeat stopped after ${repeatSent} sent: the connection closed`);
    },
    savedChanged: drawSaved,
    showError: (text) => showError(text),
  };
}
