/**
 * The one AWS client factory: region, credentials (default chain with profiles and SSO, or dummy
 * credentials for the local emulator), endpoint override, retries raised above the SDK default, a
 * user agent naming wpdeploy, and a count of the calls made (read and mutating) for the run summary.
 * Clients are created on first use, so a command loads only the SDK clients it needs.
 */
import { VERSION } from '../version.js';

// wpdeploy supports Node.js 20 with the SDK versions its lock file pins; the SDK's notice about
// future releases needing Node.js 22 is not for wpdeploy's users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface AwsSettings {
  region: string;
  profile?: string;
  /** Endpoint override (--endpoint-url, AWS_ENDPOINT_URL, or the local emulator). */
  endpoint?: string;
  /** Dummy credentials for an emulator. */
  local?: boolean;
  maxAttempts?: number;
}

export interface CallCounts {
  read: number;
  mutating: number;
  byOperation: Record<string, number>;
}

/** Operations that only read. Everything else counts as mutating. */
export function isReadOperation(commandName: string): boolean {
  return /^(Describe|List|Get|Head|Lookup|Search|Select|Filter|Batch[GD]et|Check|Validate)/.test(commandName.replace(/Command$/, ''));
}

type AnyClientCtor<T> = new (config: Record<string, unknown>) => T;
interface MiddlewareClient {
  middlewareStack: {
    add: (mw: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) => (args: unknown) => Promise<unknown>, opts: { step: 'initialize'; name: string }) => void;
  };
  destroy(): void;
}

export class AwsClients {
  readonly settings: AwsSettings;
  readonly calls: CallCounts = { read: 0, mutating: 0, byOperation: {} };
  private readonly cache = new Map<unknown, MiddlewareClient>();
  /** Mutating calls finished (answered or failed), by service (`EC2`, `ElasticLoadBalancingV2`, ...). */
  private readonly changes = new Map<string, number>();
  private changesTotal = 0;

  constructor(settings: AwsSettings) {
    this.settings = settings;
  }

  /** The shared client of this class, created on first use. */
  get<T>(Ctor: AnyClientCtor<T>): T {
    let client = this.cache.get(Ctor);
    if (!client) {
      client = new Ctor(this.clientConfig()) as unknown as MiddlewareClient;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const service = (context.clientName ?? '').replace(/Client$/, '');
          const op = `${service}.${(context.commandName ?? '').replace(/Command$/, '')}`;
          this.calls.byOperation[op] = (this.calls.byOperation[op] ?? 0) + 1;
          if (isReadOperation(context.commandName ?? '')) {
            this.calls.read++;
            return next(args);
          }
          this.calls.mutating++;
          try {
            return await next(args);
          } finally {
            // Counted once the call is over (a failed one may have changed something too), so a read
            // started before it ends is never taken for one that saw the change (see read-cache.ts).
            this.changes.set(service, (this.changes.get(service) ?? 0) + 1);
            this.changesTotal++;
          }
        },
        { step: 'initialize', name: 'wpdeployCallCounter' },
      );
      this.cache.set(Ctor, client);
    }
    return client as unknown as T;
  }

  /**
   * How many mutating calls have finished so far, to one service (its client name without `Client`,
   * as in `calls.byOperation`) or, without an argument, to any.
   */
  mutations(service?: string): number {
    return service === undefined ? this.changesTotal : (this.changes.get(service) ?? 0);
  }

  clientConfig(): Record<string, unknown> {
    const s = this.settings;
    const config: Record<string, unknown> = {
      region: s.region,
      maxAttempts: s.maxAttempts ?? 8,
      retryMode: 'standard',
      customUserAgent: [['wpdeploy', VERSION]],
    };
    if (s.endpoint) {
      config.endpoint = s.endpoint;
      config.forcePathStyle = true; // S3 behind an endpoint override (emulators) needs path-style addressing
    }
    if (s.local) config.credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    else if (s.profile) config.profile = s.profile;
    return config;
  }

  destroy(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
  }
}
