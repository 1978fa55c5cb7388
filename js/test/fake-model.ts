// A stand-in for an anywidget model: traits, events and the custom messages sent.
import type { Content, Model } from "../src/model";

type Handler = (...args: unknown[]) => void;

export class FakeModel {
  readonly sent: { content: Content; buffers: unknown[] }[] = [];
  readonly traits: Record<string, unknown>;
  failSend: string | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(traits: Record<string, unknown> = {}) {
    this.traits = { ...traits };
  }

  get(name: string): unknown {
    return this.traits[name];
  }

  set(name: string, value: unknown): void {
    this.traits[name] = value;
  }

  save_changes(): void {}

  on(event: string, callback: Handler): void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(callback);
  }

  off(event: string, callback: Handler): void {
    this.handlers.get(event)?.delete(callback);
  }

  send(content: Content, _callbacks?: unknown, buffers: unknown[] = []): void {
    if (this.failSend !== null) throw new Error(this.failSend);
    this.sent.push({ content, buffers });
  }

  /** How many handlers listen to `event`. */
  listeners(event: string): number {
    return this.handlers.get(event)?.size ?? 0;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const callback of [...(this.handlers.get(event) ?? [])]) callback(...args);
  }

  /** A custom message from the kernel. */
  receive(content: Content, buffers: DataView[] = []): void {
    this.emit("msg:custom", content, buffers);
  }

  /** The last message sent. */
  last(): Content {
    const message = this.sent[this.sent.length - 1];
    if (!message) throw new Error("nothing was sent");
    return message.content;
  }

  as<T extends object>(): Model<T> {
    return this as unknown as Model<T>;
  }
}
