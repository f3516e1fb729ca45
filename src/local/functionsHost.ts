import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as AzureFunctions from '@azure/functions';
import type {
  HttpRequest as HttpRequestType,
  HttpResponseInit,
  InvocationContext as InvocationContextType,
  LogLevel,
} from '@azure/functions';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { Cron } from 'croner';
import { errorMessage } from '../errorMessage.js';

/**
 * A local stand-in for the Azure Functions host: it plays the worker's `@azure/functions-core` so that the
 * app's own `app.timer/app.storageQueue/app.http` registrations are collected as the real host collects them,
 * then fires each handler from Azurite queues, NCRONTAB schedules and a loopback HTTP port.
 */

interface Binding {
  readonly type: string;
  readonly direction: string;
  readonly [key: string]: unknown;
}
type Handler = (trigger: unknown, context: InvocationContextType) => unknown;

export interface RegisteredFunction {
  readonly name: string;
  readonly trigger: Binding;
  readonly handler: Handler;
}

export interface HostSettings {
  /** host.json `extensions.queues`. */
  readonly queues: {
    maxPollingIntervalInMs: number;
    visibilityTimeoutInMs: number;
    batchSize: number;
    maxDequeueCount: number;
    messageEncoding: 'base64' | 'none';
  };
}

export interface InvocationRecord {
  readonly functionName: string;
  readonly invocationId: string;
  readonly trigger: 'queue' | 'timer' | 'http';
  readonly startedAt: Date;
  readonly durationInMs: number;
  readonly outcome: 'succeeded' | 'failed';
  readonly error?: string;
}

export interface StartHostOptions {
  /** Path of the app's entry module (the bundle, or functions/index.ts under tsx/vitest). */
  readonly entry: string;
  /** App settings: `%NAME%` in bindings resolves from these, and they become process.env for the app. */
  readonly settings: Readonly<Record<string, string>>;
  readonly hostJsonPath?: string;
  /** Overrides of host.json queue settings (tests retry failed messages at once). */
  readonly queueSettings?: Partial<HostSettings['queues']>;
  /** Port of the HTTP listener; 0 for a free one. Undefined: no HTTP listener. */
  readonly httpPort?: number;
  /** Only run these functions (all by default). */
  readonly only?: readonly string[];
  readonly onInvocation?: (record: InvocationRecord) => void;
  readonly log?: (line: string) => void;
}

export interface LocalHost {
  readonly functions: readonly RegisteredFunction[];
  readonly httpUrl?: string;
  readonly invocations: readonly InvocationRecord[];
  /** Runs a timer function now, as the portal's "Test/Run" does. */
  runTimer(name: string): Promise<void>;
  close(): Promise<void>;
}

// @azure/functions is CommonJS whose named exports Node's ESM loader cannot see; load it as the app's bundle would.
const { HttpRequest, InvocationContext } = createRequire(import.meta.url)('@azure/functions') as typeof AzureFunctions;

const registered: RegisteredFunction[] = [];
/** The app file each function was registered from (its `app.timer(...)` call), when the stack tells. */
const registeredFrom = new Map<string, string | undefined>();
/** `app.hook.appStart` handlers, as the worker runs them once the app is loaded. */
const appStartHooks: Array<(context: unknown) => unknown> = [];
let shimInstalled = false;

/** Makes `require('@azure/functions-core')` answer with this host, as the Functions worker does. */
export function installFunctionsCore(): void {
  if (shimInstalled) return;
  shimInstalled = true;
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const coreApi = {
    version: 'local',
    hostVersion: '4.local',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: (hookName: string, callback: (context: unknown) => unknown) => {
      if (hookName !== 'appStart') return { dispose: () => undefined };
      appStartHooks.push(callback);
      return { dispose: () => void appStartHooks.splice(appStartHooks.indexOf(callback), 1) };
    },
    registerFunction: (metadata: { name: string; bindings: Record<string, Binding> }, handler: Handler) => {
      const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
      if (!trigger) throw new Error(`Function "${metadata.name}" has no trigger binding`);
      if (registered.some((f) => f.name === metadata.name))
        throw new Error(`Function "${metadata.name}" is registered twice`);
      registered.push({ name: metadata.name, trigger, handler });
      registeredFrom.set(metadata.name, callerFile(new Error().stack));
      return { dispose: () => undefined };
    },
    Disposable: class {
      constructor(private readonly callOnDispose: () => void) {}
      dispose(): void {
        this.callOnDispose();
      }
    },
  };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === '@azure/functions-core') return coreApi;
    return load.call(this, request, parent, isMain);
  };
}

export function readHostSettings(hostJsonPath = 'host.json'): HostSettings {
  const host = JSON.parse(readFileSync(hostJsonPath, 'utf8')) as { extensions?: { queues?: Record<string, unknown> } };
  const q = host.extensions?.queues ?? {};
  return {
    queues: {
      maxPollingIntervalInMs: timespanMs(q.maxPollingInterval, 60_000),
      visibilityTimeoutInMs: timespanMs(q.visibilityTimeout, 0),
      batchSize: typeof q.batchSize === 'number' ? q.batchSize : 16,
      maxDequeueCount: typeof q.maxDequeueCount === 'number' ? q.maxDequeueCount : 5,
      messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
    },
  };
}

/** Resolves `%SETTING%` references in binding values, as the host does. */
export function resolveSetting(value: string, settings: Readonly<Record<string, string>>): string {
  return value.replace(/%([^%]+)%/g, (_, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined || resolved === '')
      throw new Error(`Binding refers to app setting ${name}, which is not set`);
    return resolved;
  });
}

/** The first file of a stack that is neither this host nor a package: the app module that called `app.…()`. */
function callerFile(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line);
    const file = match?.[1] ? (match[1].startsWith('file:') ? fileURLToPath(match[1]) : match[1]) : undefined;
    if (file && !file.includes('/node_modules/') && file !== fileURLToPath(import.meta.url)) return file;
  }
  return undefined;
}

/** What each entry module registered when it was first imported in this process. */
const entries = new Map<string, { functions: RegisteredFunction[]; hooks: Array<(context: unknown) => unknown> }>();

/**
 * Imports the app's entry module and tells what it registered. A module is evaluated once per process, so a second
 * host of the same entry (a test run's next file) gets what the first import registered, not every function the
 * process has seen. An entry whose modules another entry already loaded would register only part of its functions:
 * refused, naming both, rather than a host that silently lacks functions.
 */
async function loadEntry(
  entry: string,
): Promise<{ functions: RegisteredFunction[]; hooks: Array<(context: unknown) => unknown> }> {
  const href = pathToFileURL(entry).href;
  const file = fileURLToPath(href);
  const known = entries.get(href);
  if (known) return known;
  const before = registered.length;
  const hooksBefore = appStartHooks.length;
  await import(href);
  // The app's start hook lives in a module every entry imports: an entry loaded after another finds it registered already.
  // A module imported before (by a test, directly) registers nothing now: its functions are the ones registered from it.
  const fromEntry = registered.slice(0, before).filter((f) => registeredFrom.get(f.name) === file);
  const found = {
    functions: [...fromEntry, ...registered.slice(before)],
    hooks: appStartHooks.length > hooksBefore ? appStartHooks.slice(hooksBefore) : appStartHooks.slice(),
  };
  if (found.functions.length === 0 && registered.length > 0) {
    throw new Error(
      `${entry} registered no function: its modules were loaded by another entry of this process (${[...entries.keys()].join(', ')}); host one entry per process`,
    );
  }
  entries.set(href, found);
  return found;
}

export async function startLocalHost(options: StartHostOptions): Promise<LocalHost> {
  installFunctionsCore();
  const settings = options.settings;
  // App settings become the environment of the app, as in the host; they win over the shell so nothing points at real Azure by accident.
  for (const [k, v] of Object.entries(settings)) process.env[k] = v;
  const loaded = await loadEntry(options.entry);
  // The worker runs the app's start hooks before any function; one that throws stops the app (the warden's checks its settings and policy).
  for (const hook of loaded.hooks) await hook({ hookData: {}, appHookData: {} });
  const functions = loaded.functions.filter((f) => !options.only || options.only.includes(f.name));
  const fromFile = readHostSettings(options.hostJsonPath);
  const hostSettings: HostSettings = { queues: { ...fromFile.queues, ...options.queueSettings } };
  const log = options.log ?? (() => undefined);
  const invocations: InvocationRecord[] = [];
  const stoppers: Array<() => Promise<void> | void> = [];
  let closed = false;

  const invoke = async (
    fn: RegisteredFunction,
    kind: InvocationRecord['trigger'],
    input: unknown,
    triggerMetadata: Record<string, unknown>,
  ) => {
    const invocationId = randomUUID();
    const context = new InvocationContext({
      functionName: fn.name,
      invocationId,
      triggerMetadata,
      logHandler: (level: LogLevel, ...args: unknown[]) =>
        log(`[${fn.name}] ${level === 'information' ? '' : `${level}: `}${args.map(String).join(' ')}`),
    });
    const startedAt = new Date();
    const ended = (outcome: { outcome: 'succeeded' } | { outcome: 'failed'; error: string }) =>
      record({
        functionName: fn.name,
        invocationId,
        trigger: kind,
        startedAt,
        durationInMs: Date.now() - startedAt.getTime(),
        ...outcome,
      });
    try {
      const result = await fn.handler(input, context);
      ended({ outcome: 'succeeded' });
      return result;
    } catch (error) {
      const message = errorMessage(error);
      ended({ outcome: 'failed', error: message });
      log(`[${fn.name}] failed: ${message}`);
      throw error;
    }
  };
  const record = (r: InvocationRecord) => {
    invocations.push(r);
    options.onInvocation?.(r);
  };

  for (const fn of functions) {
    switch (fn.trigger.type) {
      case 'timerTrigger':
        stoppers.push(startTimer(fn, settings, (timer) => invoke(fn, 'timer', timer, {}).catch(() => undefined)));
        break;
      case 'queueTrigger':
        stoppers.push(await startQueue(fn, settings, hostSettings, invoke, () => closed, log));
        break;
      case 'httpTrigger':
        break;
      default:
        log(`[${fn.name}] trigger ${fn.trigger.type} is not run locally`);
    }
  }

  let httpServer: HttpServer | undefined;
  let httpUrl: string | undefined;
  const httpFunctions = functions.filter((f) => f.trigger.type === 'httpTrigger');
  const maxBodyBytes = requestBodyLimit(settings);
  const background = new Set<Promise<unknown>>();
  const runNow = (fn: RegisteredFunction, input: string): void => {
    const run =
      fn.trigger.type === 'timerTrigger'
        ? invoke(fn, 'timer', timerInput(false), {})
        : invoke(fn, 'queue', decodeMessage(input, 'none'), { id: randomUUID(), dequeueCount: 1 });
    const tracked = run.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };
  if (options.httpPort !== undefined) {
    httpServer = createServer((req, res) => {
      const answer = (response: HttpResponseInit) => {
        res.writeHead(response.status ?? 200, headersOf(response));
        res.end(bodyOf(response));
      };
      readLimitedBody(req, maxBodyBytes)
        .then((body) => {
          if (body === undefined) {
            // Like the Functions host: the body is refused before any function sees it; the connection is closed.
            res.setHeader('connection', 'close');
            return {
              status: 413,
              body: `Request body too large: the limit is ${maxBodyBytes} bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)`,
            };
          }
          const admin = /^\/admin\/functions\/([^/?]+)\/?$/i.exec(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
          if (admin) return adminRun(req.method ?? 'GET', decodeURIComponent(admin[1]!), body, functions, runNow);
          return serveHttp(req, body, httpFunctions, (fn, request, params) => invoke(fn, 'http', request, { params }));
        })
        .then(answer, (error: unknown) =>
          answer({ status: 500, headers: { 'content-type': 'text/plain' }, body: errorMessage(error) }),
        );
    });
    const server = httpServer;
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    // Like `func start`, prefer the usual port; unlike it, take a free one rather than fail when it is busy.
    await listen(options.httpPort).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' || options.httpPort === 0) throw error;
      log(`port ${options.httpPort} is busy; serving HTTP functions on a free port`);
      return listen(0);
    });
    httpUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  }

  return {
    functions,
    httpUrl,
    invocations,
    runTimer: async (name) => {
      const fn = functions.find((f) => f.name === name && f.trigger.type === 'timerTrigger');
      if (!fn) throw new Error(`No timer function named ${name}`);
      await invoke(fn, 'timer', timerInput(false), {});
    },
    close: async () => {
      closed = true;
      for (const stop of stoppers) await stop();
      await Promise.all([...background]);
      const server = httpServer;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function timerInput(isPastDue: boolean, last?: Date, next?: Date) {
  const now = new Date().toISOString();
  return {
    isPastDue,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: (last ?? new Date(0)).toISOString(), next: next?.toISOString() ?? now, lastUpdated: now },
  };
}

function startTimer(
  fn: RegisteredFunction,
  settings: Readonly<Record<string, string>>,
  fire: (timer: unknown) => Promise<unknown>,
) {
  const schedule = resolveSetting(String(fn.trigger.schedule), settings);
  let last: Date | undefined;
  let running = false;
  // NCRONTAB has six fields with seconds first, which croner reads natively; overlapping runs are skipped like the host's singleton lock.
  const job = new Cron(schedule, { protect: true }, async () => {
    if (running) return;
    running = true;
    try {
      await fire(timerInput(false, last, job.nextRun() ?? undefined));
      last = new Date();
    } finally {
      running = false;
    }
  });
  return () => job.stop();
}

type Invoke = (
  fn: RegisteredFunction,
  kind: 'queue',
  input: unknown,
  meta: Record<string, unknown>,
) => Promise<unknown>;

async function startQueue(
  fn: RegisteredFunction,
  settings: Readonly<Record<string, string>>,
  host: HostSettings,
  invoke: Invoke,
  isClosed: () => boolean,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const queueName = resolveSetting(String(fn.trigger.queueName), settings);
  const connectionName = typeof fn.trigger.connection === 'string' ? fn.trigger.connection : 'AzureWebJobsStorage';
  const connectionString = settings[connectionName];
  if (!connectionString) throw new Error(`Function ${fn.name}: connection setting ${connectionName} is not set`);
  const service = QueueServiceClient.fromConnectionString(connectionString);
  const queue = service.getQueueClient(queueName);
  const poison = service.getQueueClient(`${queueName}-poison`);
  await queue.createIfNotExists();
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let idleMs = 100;
    while (!isClosed()) {
      const got = await receive(queue, host).catch(() => []);
      if (got.length === 0) {
        // Exponential back-off up to maxPollingInterval, as the host's queue listener does.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, idleMs).unref();
        });
        idleMs = Math.min(idleMs * 2, host.queues.maxPollingIntervalInMs);
        continue;
      }
      idleMs = 100;
      await Promise.all(
        got.map(async (m) => {
          const meta = {
            id: m.messageId,
            dequeueCount: m.dequeueCount,
            insertionTime: m.insertedOn,
            popReceipt: m.popReceipt,
          };
          let input: unknown;
          try {
            try {
              input = decodeMessage(m.messageText, host.queues.messageEncoding);
            } catch (error) {
              log(
                `[${fn.name}] queue message ${m.messageId} (attempt ${m.dequeueCount}) cannot be decoded: ${errorMessage(error)}`,
              );
              throw error;
            }
            await invoke(fn, 'queue', input, meta);
            await queue.deleteMessage(m.messageId, m.popReceipt);
          } catch {
            if (m.dequeueCount >= host.queues.maxDequeueCount) {
              await poison.createIfNotExists();
              await poison.sendMessage(m.messageText);
              await queue.deleteMessage(m.messageId, m.popReceipt);
              log(`[${fn.name}] queue message ${m.messageId} failed ${m.dequeueCount} times; moved to ${poison.name}`);
            } else {
              await queue
                .updateMessage(m.messageId, m.popReceipt, undefined, host.queues.visibilityTimeoutInMs / 1000)
                .catch(() => undefined);
            }
          }
        }),
      );
    }
  })();
  return async () => {
    wake?.();
    await loop;
  };
}

async function receive(queue: QueueClient, host: HostSettings) {
  const response = await queue.receiveMessages({ numberOfMessages: host.queues.batchSize, visibilityTimeout: 600 });
  return response.receivedMessageItems;
}

/** The host decodes base64 (its default) and hands JSON as an object, anything else as a string. */
export function decodeMessage(text: string, encoding: 'base64' | 'none'): unknown {
  let body = text;
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.trim()))
      throw new Error('Queue message is not valid base64 (host.json messageEncoding is base64)');
    body = Buffer.from(text, 'base64').toString('utf8');
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

async function serveHttp(
  req: IncomingMessage,
  body: Buffer,
  fns: readonly RegisteredFunction[],
  invoke: (fn: RegisteredFunction, request: HttpRequestType, params: Record<string, string>) => Promise<unknown>,
): Promise<HttpResponseInit> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname.replace(/^\/api\/?/, '').replace(/\/$/, '');
  const method = (req.method ?? 'GET').toUpperCase();
  let params: Record<string, string> = {};
  const fn = fns.find((f) => {
    const route = typeof f.trigger.route === 'string' ? f.trigger.route : f.name;
    const methods = (f.trigger.methods as string[] | undefined) ?? ['GET', 'POST'];
    const matched = methods.map((m) => m.toUpperCase()).includes(method) ? matchRoute(route, path) : undefined;
    if (matched) params = matched;
    return matched !== undefined;
  });
  if (!fn) return { status: 404, body: `No function at ${method} /api/${path}` };
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
  );
  const request = new HttpRequest({
    method,
    url: url.toString(),
    headers,
    body: { bytes: body },
    query: Object.fromEntries(url.searchParams),
    params,
  });
  const result = (await invoke(fn, request, params)) as HttpResponseInit | undefined;
  return result ?? { status: 204 };
}

/** Azure Functions refuses request bodies over 100 MB unless FUNCTIONS_REQUEST_BODY_SIZE_LIMIT says otherwise. */
const DEFAULT_REQUEST_BODY_LIMIT = 104_857_600;

function requestBodyLimit(settings: Readonly<Record<string, string>>): number {
  const limit = Number(settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);
  return Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_REQUEST_BODY_LIMIT;
}

/** The whole body, or undefined once it is over `limit` bytes (by Content-Length, or counted as it arrives; the rest is drained). */
function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => !over && resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * `POST /admin/functions/<name>` with `{"input": "..."}`, as Core Tools serves it: runs a timer function now (or a queue
 * function with `input` as its message) and answers 202 at once; the outcome is logged like any invocation.
 */
function adminRun(
  method: string,
  name: string,
  body: Buffer,
  fns: readonly RegisteredFunction[],
  runNow: (fn: RegisteredFunction, input: string) => void,
): HttpResponseInit {
  if (method.toUpperCase() !== 'POST')
    return { status: 405, headers: { allow: 'POST' }, body: 'Use POST /admin/functions/<name> with {"input": ""}' };
  const fn = fns.find((f) => f.name.toLowerCase() === name.toLowerCase());
  if (!fn) return { status: 404, body: `No function named ${name}; functions: ${fns.map((f) => f.name).join(', ')}` };
  let input = '';
  const text = body.toString('utf8').trim();
  if (text !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { status: 400, body: 'The body must be JSON: {"input": "<trigger input>"}' };
    }
    const given = (parsed as { input?: unknown } | null)?.input;
    if (given !== undefined && typeof given !== 'string') return { status: 400, body: '"input" must be a string' };
    input = given ?? '';
  }
  if (fn.trigger.type !== 'timerTrigger' && fn.trigger.type !== 'queueTrigger') {
    return {
      status: 400,
      body: `${fn.name} is triggered by ${fn.trigger.type}: call it at its own route, not through /admin/functions`,
    };
  }
  runNow(fn, input);
  return { status: 202 };
}

/**
 * Matches a path against a Functions route template, as the host does: literal segments case-insensitively,
 * `{name}` one segment, `{name?}` an optional last segment, `{*name}` the rest; `:constraint`s are not checked.
 * Returns the parameters, or undefined when the path does not match.
 * @example matchRoute('dashboard/data/{name}', 'dashboard/data/summary') // { name: 'summary' }
 */
export function matchRoute(template: string, path: string): Record<string, string> | undefined {
  const parts = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean);
  const segments = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const param = /^\{(\*)?([A-Za-z_][\w]*)(?::[^}?]*)?(\?)?\}$/.exec(part);
    const segment = segments[i];
    if (!param) {
      if (segment === undefined || segment.toLowerCase() !== part.toLowerCase()) return undefined;
      continue;
    }
    const [, rest, name = '', optional] = param;
    if (rest) {
      if (segments.length > i) params[name] = segments.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    if (segment === undefined) return optional && i === parts.length - 1 ? params : undefined;
    params[name] = decodeURIComponent(segment);
  }
  return segments.length === parts.length ? params : undefined;
}

function headersOf(response: HttpResponseInit): Record<string, string> {
  const headers: Record<string, string> = {};
  const init = response.headers;
  if (init instanceof Headers) init.forEach((v, k) => (headers[k] = v));
  else if (Array.isArray(init)) for (const [k, v] of init) headers[k] = v;
  else if (init) Object.assign(headers, init);
  if (response.jsonBody !== undefined) headers['content-type'] ??= 'application/json';
  return headers;
}

function bodyOf(response: HttpResponseInit): string | Buffer {
  if (response.jsonBody !== undefined) return JSON.stringify(response.jsonBody);
  const body = response.body;
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  return JSON.stringify(body);
}

function timespanMs(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value);
  if (!m) return fallback;
  const [, d, h, min, s] = m;
  return (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
}
