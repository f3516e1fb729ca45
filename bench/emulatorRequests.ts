import { request } from 'node:https';

/*
 * What the warden's process of a benchmark reads from the emulator (its request counters), apart from sandbox.ts so
 * that process does not load the emulator's and Azurite's code: its RSS is the warden's.
 */

/** One counter of the emulator's request log. */
export interface ArmCounter {
  readonly method: string;
  readonly operation: string;
  readonly status: number;
  readonly count: number;
}

/** The emulator's request counters (its admin endpoint), read from the warden's process over loopback HTTPS. */
export class EmulatorRequests {
  private readonly base: string;
  private readonly ca: string;

  constructor(settings: Record<string, string>, ca: string) {
    this.base = settings.ARM_ENDPOINT!;
    this.ca = ca;
  }

  async counters(): Promise<{ total: number; counters: ArmCounter[] }> {
    return JSON.parse(await this.call('GET', '/_emulator/requests?limit=0')) as {
      total: number;
      counters: ArmCounter[];
    };
  }

  async clear(): Promise<void> {
    await this.call('DELETE', '/_emulator/requests');
  }

  private call(method: string, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.base}${path}`, { method, ca: this.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
}
