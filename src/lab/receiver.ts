// The demo's webhook receiver: POST /_lab/v1/receiver records what a webhook sink sends (the agent's demo config
// points its `lab:receiver` sink here), GET lists it, DELETE forgets it. Like every control route it needs the control
// token, so a notification is taken only from whoever holds it. Bounded: the newest 500 are kept.
export interface ReceivedNotification {
  receivedAt: string;
  /** The request's content-type, user-agent and x-irsa-sentinel-* / idempotency-key headers (never authorization). */
  headers: Record<string, string>;
  /** The JSON body, or the text when it is not JSON. */
  body: unknown;
}

const KEPT_HEADERS = /^(content-type|user-agent|idempotency-key|x-irsa-sentinel-[a-z-]+)$/;
const MAX_KEPT = 500;

export class LabReceiver {
  readonly #items: ReceivedNotification[] = [];

  record(headers: Record<string, string | string[] | undefined>, body: Buffer, at = new Date()): ReceivedNotification {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers))
      if (KEPT_HEADERS.test(k) && v !== undefined) kept[k] = Array.isArray(v) ? v.join(', ') : v;
    const text = body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // kept as text
    }
    const item = { receivedAt: at.toISOString(), headers: kept, body: parsed };
    this.#items.push(item);
    if (this.#items.length > MAX_KEPT) this.#items.splice(0, this.#items.length - MAX_KEPT);
    return item;
  }

  list(): ReceivedNotification[] {
    return [...this.#items];
  }

  clear(): void {
    this.#items.length = 0;
  }
}
