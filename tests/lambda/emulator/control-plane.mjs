// A local AWS Lambda control plane (plus the IAM and STS calls barrage makes,
// in iam-sts.mjs) for barrage's tests, on 127.0.0.1 only. Invocations run through @vercel/fun,
// which starts the function's `bootstrap` as a native process behind its own
// Runtime API. See README.md beside this file for what is and is not emulated.
//
// Usage: node control-plane.mjs [--s3-endpoint URL] [--function-env K=V]...
//   --s3-endpoint   where Code.S3Bucket/S3Key is fetched from (path style:
//                   URL/bucket/key, unsigned; the fauxqs emulator accepts it)
//   --function-env  extra environment for every function process (repeatable),
//                   e.g. AWS_ENDPOINT_URL=http://127.0.0.1:PORT so workers
//                   reach the S3/SQS emulator
// Prints "PORT <n>" on stdout once it listens. Stops when stdin closes or on
// SIGTERM/SIGINT, and then SIGKILLs every function process it started. The
// function processes inherit its stdout and stderr (their "CloudWatch logs").
//
// Point AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS
// at it. Signatures are not checked; the region comes from the SigV4
// credential scope (default us-east-1); the account is 123456789012.
//
// Test hooks (JSON):
//   GET  /_fixture/invocations   every invocation so far (see README.md)
//   POST /_fixture/kill {"worker": N} or {"request_id": ID}
//                                SIGKILL the running invocation's process tree
//   POST /_fixture/drop {"worker": N}
//                                the next Event invocation for that worker is
//                                accepted (202) but never runs
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { ApiError, hasRole, kAccount, queryRoute, sendXmlError } from "./iam-sts.mjs";

const here = dirname(fileURLToPath(import.meta.url));
// fun copies its runtime bootstraps into an XDG cache directory when loaded:
// keep it inside node_modules rather than the user's home.
process.env.XDG_CACHE_HOME ??= join(here, "node_modules", ".cache");
const fun = await import("@vercel/fun");
const { unzipToTemp } = await import("@vercel/fun/dist/src/unzip.js");

const kDefaultRegion = "us-east-1";
const kActivateDelayMs = 300; // Pending -> Active, InProgress -> Successful
const kFunMaxProcesses = 10; // fun's pool size per function instance
// Lambda's deployment package quotas: 50 MB zipped through the API (larger
// through S3), 250 MB unzipped.
const kMaxInlineZipBytes = 50 * 1024 * 1024;
const kMaxUnzippedBytes = 250 * 1024 * 1024;

// ---- options -------------------------------------------------------------

let s3Endpoint = "";
const functionEnv = {};
for (let i = 2; i < process.argv.length; ++i) {
  const arg = process.argv[i];
  if (arg === "--s3-endpoint") {
    s3Endpoint = process.argv[++i].replace(/\/+$/, "");
  } else if (arg === "--function-env") {
    const kv = process.argv[++i];
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new Error(`--function-env wants K=V, got '${kv}'`);
    functionEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  } else {
    throw new Error(`unknown argument '${arg}'`);
  }
}

// ---- processes -------------------------------------------------------------

// pid -> parent pid of every process, from /proc (Linux).
function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return parents;
}

// SIGKILLs pid and its descendants (children first found, then all killed).
function killTree(pid) {
  const parents = parentMap();
  const tree = [pid];
  for (let i = 0; i < tree.length; ++i) {
    for (const [child, parent] of parents) {
      if (parent === tree[i]) tree.push(child);
    }
  }
  for (const p of tree) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return tree.length;
}

// Bytes of the regular files under dir.
function treeSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += treeSize(path);
    else if (e.isFile()) total += statSync(path).size;
  }
  return total;
}

const liveProcesses = new Set(); // every function process we know of

// ---- functions -------------------------------------------------------------

const functions = new Map(); // "region/name" -> Fn
const codeVersions = new Set(); // every CodeVersion whose directory exists
const invocations = []; // every invocation, in arrival order
const dropNext = new Map(); // worker -> how many Event invocations to drop
const invocationContext = new AsyncLocalStorage();
// Why an invocation's process died, when the fixture killed it.
const killedBy = new WeakMap(); // invocation -> "hook" | "timeout"

function nowIso() {
  return new Date().toISOString().replace("Z", "+0000");
}

function funRuntime(runtime) {
  if (runtime === "provided" || runtime?.startsWith("provided.")) return "provided";
  return fun.runtimes[runtime] ? runtime : null;
}

// One deployed code version: the unpacked zip and the fun instances running
// it (each runs at most kFunMaxProcesses processes; more are added on demand).
class CodeVersion {
  constructor(fn, zip) {
    this.fn = fn;
    this.zip = zip;
    this.dir = null;
    this.instances = [];
    this.running = 0; // invocations started on this version and not ended
    this.creating = null; // promise of the fun instance being created
    this.retired = false;
  }

  async unpack() {
    this.dir = await unzipToTemp(this.zip);
    this.zip = null;
    codeVersions.add(this);
    const size = treeSize(this.dir);
    if (size > kMaxUnzippedBytes) {
      await this.retire();
      throw new ApiError(400, "InvalidParameterValueException",
        `Unzipped size must be smaller than ${kMaxUnzippedBytes} bytes`);
    }
  }

  // A fun instance with a free process slot, reserved for the caller (who
  // decrements inflight when done).
  async acquireInstance() {
    for (;;) {
      const free = this.instances.find((i) => i.inflight < kFunMaxProcesses);
      if (free) {
        ++free.inflight;
        return free;
      }
      this.creating ??= this.createInstance().finally(() => {
        this.creating = null;
      });
      await this.creating;
    }
  }

  async createInstance() {
    const c = this.fn.config;
    const params = {
      FunctionName: c.FunctionName,
      Code: { Directory: this.dir },
      Handler: c.Handler,
      Runtime: funRuntime(c.Runtime),
      MemorySize: c.MemorySize,
      Timeout: c.Timeout,
      Region: this.fn.region,
      AccessKeyId: "ASIAEMULATEDLAMBDA01",
      SecretAccessKey: "emulated-lambda-secret-access-key",
      Environment: { Variables: { ...c.Environment.Variables } },
    };
    const created = await fun.createFunction(params);
    // After fun's check for reserved names: what Lambda also sets, and the
    // fixture's extra environment (which wins).
    Object.assign(params.Environment.Variables, {
      AWS_SESSION_TOKEN: "emulated-lambda-session-token",
      ...functionEnv,
    });
    const inst = { fun: created, inflight: 0 };
    // Which process serves an invocation is known only inside fun: wrap its
    // pool so the invocation that acquired a process learns its pid, and the
    // Runtime API answers with the invocation's request id.
    const provider = created.provider;
    const acquire = provider.pool.acquire.bind(provider.pool);
    provider.pool.acquire = async (...args) => {
      const proc = await acquire(...args);
      if (!liveProcesses.has(proc)) {
        liveProcesses.add(proc);
        proc.once("exit", () => liveProcesses.delete(proc));
      }
      const server = provider.runtimeApis.get(proc);
      const inv = invocationContext.getStore();
      if (inv) {
        if (server) server.currentRequestId = inv.request_id;
        inv.onProcess(proc);
      }
      return proc;
    };
    this.instances.push(inst);
  }

  // Frees the processes and files once no invocation runs on this version.
  async destroyIfIdle() {
    if (!this.retired || this.running > 0) return;
    const instances = this.instances;
    this.instances = [];
    await Promise.all(instances.map((i) => i.fun.destroy().catch(() => {})));
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
    codeVersions.delete(this);
  }

  retire() {
    this.retired = true;
    return this.destroyIfIdle();
  }
}

class Fn {
  constructor(region, config) {
    this.region = region;
    this.config = config;
    this.code = null; // CodeVersion once unpacked
    this.eventInvokeConfig = null;
    this.tags = {};
  }
}

function functionArn(region, name) {
  return `arn:aws:lambda:${region}:${kAccount}:function:${name}`;
}

// "name", "name:qualifier", a full or partial ARN -> name.
function functionName(raw) {
  const parts = raw.split(":");
  const at = parts.indexOf("function");
  if (at >= 0 && at + 1 < parts.length) return parts[at + 1];
  return parts[0];
}

// ---- HTTP helpers ----------------------------------------------------------


function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "x-amzn-RequestId": randomUUID(),
    ...headers,
  });
  res.end(text);
}

function parseJson(buf) {
  if (buf.length === 0) return {};
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    throw new ApiError(400, "InvalidRequestContentException", "Could not parse request body into json");
  }
}

function regionOf(req) {
  const m = /Credential=[^/,\s]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? "");
  return m ? m[1] : kDefaultRegion;
}

// ---- Lambda ----------------------------------------------------------------

function lookup(region, rawName) {
  const name = functionName(rawName);
  const fn = functions.get(`${region}/${name}`);
  if (!fn) {
    throw new ApiError(404, "ResourceNotFoundException",
      `Function not found: ${functionArn(region, name)}`);
  }
  return fn;
}

async function fetchCode(code) {
  if (code.ZipFile) {
    const zip = Buffer.from(code.ZipFile, "base64");
    if (zip.length > kMaxInlineZipBytes) {
      throw new ApiError(413, "RequestEntityTooLargeException",
        `Zipped code of ${zip.length} bytes is over the ${kMaxInlineZipBytes}-byte limit of the API; upload it to S3`);
    }
    return zip;
  }
  if (code.S3Bucket && code.S3Key) {
    if (!s3Endpoint) {
      throw new ApiError(400, "InvalidParameterValueException",
        "Code.S3Bucket given but the fixture was started without --s3-endpoint");
    }
    const url = `${s3Endpoint}/${code.S3Bucket}/${code.S3Key.split("/").map(encodeURIComponent).join("/")}`;
    const r = await fetch(url);
    if (r.status !== 200) {
      throw new ApiError(400, "InvalidParameterValueException",
        `Error occurred while GetObject. S3 Error Code: HTTP ${r.status}. S3 Bucket ${code.S3Bucket}, key ${code.S3Key}`);
    }
    return Buffer.from(await r.arrayBuffer());
  }
  throw new ApiError(400, "InvalidParameterValueException",
    "Please provide a source for function code (ZipFile or S3Bucket and S3Key)");
}

// Unpacks `zip` into a new code version; a zip that does not unpack is
// refused as Lambda refuses it, before the call returns.
async function unpackCode(fn, zip) {
  const version = new CodeVersion(fn, zip);
  try {
    await version.unpack();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, "InvalidParameterValueException",
      `Could not unzip uploaded file. Please check your file, then try to upload again. (${err.message})`);
  }
  return version;
}

// Deploys an unpacked version: Pending (or LastUpdateStatus InProgress) for
// kActivateDelayMs, then Active / Successful with the new code.
function deploy(fn, version, zip, isUpdate) {
  const c = fn.config;
  c.CodeSize = zip.length;
  c.CodeSha256 = createHash("sha256").update(zip).digest("base64");
  c.LastModified = nowIso();
  c.RevisionId = randomUUID();
  if (isUpdate) {
    c.LastUpdateStatus = "InProgress";
    c.LastUpdateStatusReason = "The function is being created.";
    c.LastUpdateStatusReasonCode = "Creating";
  } else {
    c.State = "Pending";
    c.StateReason = "The function is being created.";
    c.StateReasonCode = "Creating";
  }
  setTimeout(() => {
    if (functions.get(`${fn.region}/${c.FunctionName}`) !== fn) {
      version.retire(); // deleted meanwhile
      return;
    }
    const previous = fn.code;
    fn.code = version;
    if (previous) previous.retire();
    c.State = "Active";
    c.LastUpdateStatus = "Successful";
    for (const k of ["StateReason", "StateReasonCode", "LastUpdateStatusReason",
      "LastUpdateStatusReasonCode"]) {
      delete c[k];
    }
  }, kActivateDelayMs);
}

function configurationOf(fn) {
  return { ...fn.config };
}

async function createFunction(req, region, body) {
  const name = body.FunctionName;
  if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
    throw new ApiError(400, "InvalidParameterValueException", "FunctionName is missing or invalid");
  }
  if (functions.has(`${region}/${name}`)) {
    throw new ApiError(409, "ResourceConflictException",
      `Function already exist: ${name}`);
  }
  if (typeof body.Role !== "string" || !body.Role.startsWith("arn:aws:iam::")) {
    throw new ApiError(400, "ValidationException", "Role must be an IAM role ARN");
  }
  const roleMatch = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(body.Role);
  if (roleMatch && roleMatch[1] === kAccount && !hasRole(roleMatch[2])) {
    throw new ApiError(400, "InvalidParameterValueException",
      "The role defined for the function cannot be assumed by Lambda.");
  }
  const runtime = body.Runtime ?? "";
  if ((body.PackageType ?? "Zip") !== "Zip" || !funRuntime(runtime)) {
    throw new ApiError(400, "InvalidParameterValueException",
      `The runtime parameter of ${runtime} is not supported by this emulator (provided.* runs through fun's 'provided')`);
  }
  const zip = await fetchCode(body.Code ?? {});
  const fn = new Fn(region, {
    FunctionName: name,
    FunctionArn: functionArn(region, name),
    Runtime: runtime,
    Role: body.Role,
    Handler: body.Handler ?? "",
    Description: body.Description ?? "",
    Timeout: body.Timeout ?? 3,
    MemorySize: body.MemorySize ?? 128,
    Version: "$LATEST",
    Environment: { Variables: body.Environment?.Variables ?? {} },
    TracingConfig: { Mode: "PassThrough" },
    PackageType: "Zip",
    Architectures: body.Architectures ?? ["x86_64"],
    EphemeralStorage: { Size: 512 },
  });
  if (body.VpcConfig) fn.config.VpcConfig = { ...body.VpcConfig, VpcId: "vpc-emulated" };
  fn.tags = body.Tags ?? {};
  const version = await unpackCode(fn, zip);
  if (functions.has(`${region}/${name}`)) {
    version.retire();
    throw new ApiError(409, "ResourceConflictException", `Function already exist: ${name}`);
  }
  functions.set(`${region}/${name}`, fn);
  deploy(fn, version, zip, false);
  return configurationOf(fn);
}

function requireIdle(fn) {
  if (fn.config.State === "Pending" || fn.config.LastUpdateStatus === "InProgress") {
    throw new ApiError(409, "ResourceConflictException",
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.config.FunctionArn}`);
  }
}

// GetAccountSettings: Lambda's default quotas and this region's usage.
function accountSettings(region) {
  const mine = [...functions.values()].filter((f) => f.region === region);
  const total = mine.reduce((n, f) => n + (f.config.CodeSize ?? 0), 0);
  return {
    AccountLimit: {
      TotalCodeSize: 80530636800,
      CodeSizeUnzipped: kMaxUnzippedBytes,
      CodeSizeZipped: kMaxInlineZipBytes,
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 1000,
    },
    AccountUsage: { TotalCodeSize: total, FunctionCount: mine.length },
  };
}

async function lambdaRoute(req, res, region, path, body) {
  if (path === "/2016-08-19/account-settings" && req.method === "GET") {
    return sendJson(res, 200, accountSettings(region));
  }
  const m = /^\/(2015-03-31|2019-09-25)\/functions\/?([^/]*)(?:\/([a-z-]+))?\/?$/.exec(path);
  if (!m) throw new ApiError(404, "UnknownOperationException", `Unknown operation ${req.method} ${path}`);
  const [, apiVersion, rawName, sub] = m;
  const name = decodeURIComponent(rawName);
  const method = req.method;
  if (apiVersion === "2015-03-31" && !name) {
    if (method === "POST") return sendJson(res, 201, await createFunction(req, region, parseJson(body)));
    if (method === "GET") {
      const list = [...functions.values()].filter((f) => f.region === region).map(configurationOf);
      return sendJson(res, 200, { Functions: list });
    }
  }
  const fn = lookup(region, name);
  if (apiVersion === "2019-09-25") {
    if (sub !== "event-invoke-config") throw new ApiError(404, "UnknownOperationException", path);
    if (method === "PUT" || method === "POST") {
      const b = parseJson(body);
      fn.eventInvokeConfig = {
        FunctionArn: `${fn.config.FunctionArn}:$LATEST`,
        MaximumRetryAttempts: b.MaximumRetryAttempts ?? 2,
        MaximumEventAgeInSeconds: b.MaximumEventAgeInSeconds ?? 21600,
        LastModified: Date.now() / 1000,
        DestinationConfig: b.DestinationConfig ?? { OnSuccess: {}, OnFailure: {} },
      };
      return sendJson(res, 200, fn.eventInvokeConfig);
    }
    if (method === "GET") {
      if (!fn.eventInvokeConfig) {
        throw new ApiError(404, "ResourceNotFoundException",
          `The function ${fn.config.FunctionArn} doesn't have an EventInvokeConfig`);
      }
      return sendJson(res, 200, fn.eventInvokeConfig);
    }
    if (method === "DELETE") {
      fn.eventInvokeConfig = null;
      return sendJson(res, 204);
    }
  }
  if (!sub && method === "GET") {
    return sendJson(res, 200, {
      Configuration: configurationOf(fn),
      Code: { RepositoryType: "S3", Location: `http://127.0.0.1/emulated-code/${fn.config.FunctionName}` },
      Tags: fn.tags,
    });
  }
  if (!sub && method === "DELETE") {
    functions.delete(`${region}/${fn.config.FunctionName}`);
    if (fn.code) fn.code.retire();
    return sendJson(res, 204);
  }
  if (sub === "configuration" && method === "GET") return sendJson(res, 200, configurationOf(fn));
  if (sub === "configuration" && method === "PUT") {
    requireIdle(fn);
    const b = parseJson(body);
    for (const k of ["Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime"]) {
      if (b[k] !== undefined) fn.config[k] = b[k];
    }
    if (b.Environment) fn.config.Environment = { Variables: b.Environment.Variables ?? {} };
    fn.config.LastModified = nowIso();
    fn.config.RevisionId = randomUUID();
    // New settings apply to new fun instances: retire the running ones.
    if (fn.code) {
      const fresh = new CodeVersion(fn, null);
      fresh.dir = fn.code.dir;
      codeVersions.add(fresh);
      codeVersions.delete(fn.code);
      fn.code.dir = null;
      fn.code.retire();
      fn.code = fresh;
    }
    return sendJson(res, 200, configurationOf(fn));
  }
  if (sub === "code" && method === "PUT") {
    requireIdle(fn);
    const b = parseJson(body);
    const zip = await fetchCode(b);
    const version = await unpackCode(fn, zip);
    try {
      requireIdle(fn); // again: another update may have started meanwhile
    } catch (err) {
      version.retire();
      throw err;
    }
    if (b.Architectures) fn.config.Architectures = b.Architectures;
    deploy(fn, version, zip, true);
    return sendJson(res, 200, configurationOf(fn));
  }
  if (sub === "invocations" && method === "POST") return invoke(req, res, fn, body);
  throw new ApiError(404, "UnknownOperationException", `Unknown operation ${method} ${path}`);
}

function invoke(req, res, fn, body) {
  const type = req.headers["x-amz-invocation-type"] ?? "RequestResponse";
  if (!["Event", "RequestResponse", "DryRun"].includes(type)) {
    throw new ApiError(400, "InvalidParameterValueException", `Invalid InvocationType ${type}`);
  }
  if (fn.config.State !== "Active" || !fn.code) {
    throw new ApiError(409, "ResourceConflictException",
      `The operation cannot be performed at this time. The function is currently in the following state: ${fn.config.State}`);
  }
  if (type === "DryRun") return sendJson(res, 204);
  let worker = null;
  try {
    const payload = JSON.parse(body.toString("utf8") || "{}");
    // barrage's payload is {"job": {"worker": N, ...}, "lambda": {...}}.
    const job = payload && typeof payload.job === "object" ? payload.job : payload;
    if (job && Number.isInteger(job.worker)) worker = job.worker;
  } catch {
    if (body.length > 0) {
      throw new ApiError(400, "InvalidRequestContentException", "Could not parse request body into json");
    }
  }
  const inv = {
    function: fn.config.FunctionName,
    region: fn.region,
    request_id: randomUUID(),
    invocation_type: type,
    worker,
    pid: null,
    state: "queued",
    accepted_ms: Date.now(),
    start_ms: null,
    end_ms: null,
    response: null,
    error: null,
    function_error: null,
  };
  invocations.push(inv);
  const headers = { "x-amzn-RequestId": inv.request_id };
  if (type === "Event") {
    const drops = worker === null ? 0 : dropNext.get(worker) ?? 0;
    if (drops > 0) {
      dropNext.set(worker, drops - 1);
      inv.state = "dropped";
    } else {
      run(fn, inv, body);
    }
    return sendJson(res, 202, undefined, headers);
  }
  return run(fn, inv, body).then(() => {
    const h = { ...headers, "X-Amz-Executed-Version": "$LATEST" };
    if (inv.function_error) h["X-Amz-Function-Error"] = inv.function_error;
    res.writeHead(200, { "Content-Type": "application/json", ...h });
    res.end(inv.function_error ? inv.error : inv.response ?? "");
  });
}

// Runs one invocation through fun; never rejects.
async function run(fn, inv, body) {
  const version = fn.code;
  ++version.running; // before any await: a DeleteFunction now waits for it
  let inst;
  try {
    inst = await version.acquireInstance();
  } catch (err) {
    inv.state = "failed";
    inv.error = JSON.stringify({ errorMessage: `fun: ${err.message}`, errorType: "Emulator.Fun" });
    inv.function_error = "Unhandled";
    inv.end_ms = Date.now();
    --version.running;
    version.destroyIfIdle();
    return;
  }
  let timer = null;
  const context = {
    request_id: inv.request_id,
    onProcess(proc) {
      inv.pid = proc.pid;
      inv.state = "running";
      inv.start_ms = Date.now();
      // fun does not enforce Timeout; Lambda ends the invocation then.
      timer = setTimeout(() => {
        killedBy.set(inv, "timeout");
        killTree(proc.pid);
      }, fn.config.Timeout * 1000);
    },
  };
  let result;
  try {
    result = await invocationContext.run(context, () =>
      inst.fun.invoke({ InvocationType: "RequestResponse", Payload: body.toString("utf8") }));
  } catch (err) {
    result = { FunctionError: "Unhandled", Payload: JSON.stringify({ errorMessage: err.message }) };
  }
  clearTimeout(timer);
  --inst.inflight;
  inv.end_ms = Date.now();
  const payload = result.Payload === undefined ? "" : String(result.Payload);
  if (killedBy.get(inv) === "hook") {
    inv.state = "killed";
    inv.error = payload;
    inv.function_error = "Unhandled";
  } else if (killedBy.get(inv) === "timeout") {
    inv.state = "failed";
    inv.error = JSON.stringify({
      errorMessage: `Task timed out after ${fn.config.Timeout.toFixed(2)} seconds`,
      errorType: "Sandbox.Timedout",
    });
    inv.function_error = "Unhandled";
  } else if (result.FunctionError) {
    inv.state = "failed";
    inv.error = payload;
    inv.function_error = result.FunctionError;
  } else {
    inv.state = "succeeded";
    inv.response = payload;
  }
  if (inv.start_ms === null) inv.start_ms = inv.end_ms;
  --version.running;
  version.destroyIfIdle();
}

// ---- test hooks ------------------------------------------------------------

function fixtureRoute(req, res, path, body) {
  if (path === "/_fixture/invocations" && req.method === "GET") {
    return sendJson(res, 200, invocations);
  }
  if (path === "/_fixture/kill" && req.method === "POST") {
    const b = parseJson(body);
    const inv = [...invocations].reverse().find((i) =>
      (b.request_id !== undefined ? i.request_id === b.request_id : i.worker === b.worker) &&
      i.state === "running");
    if (!inv) throw new ApiError(404, "NotFound", "no running invocation matches");
    killedBy.set(inv, "hook");
    const processes = killTree(inv.pid);
    return sendJson(res, 200, { request_id: inv.request_id, pid: inv.pid, processes });
  }
  if (path === "/_fixture/drop" && req.method === "POST") {
    const b = parseJson(body);
    if (!Number.isInteger(b.worker)) throw new ApiError(400, "BadRequest", "want {\"worker\": N}");
    dropNext.set(b.worker, (dropNext.get(b.worker) ?? 0) + 1);
    return sendJson(res, 200, { worker: b.worker, pending_drops: dropNext.get(b.worker) });
  }
  throw new ApiError(404, "NotFound", `no fixture hook ${req.method} ${path}`);
}

// ---- server ----------------------------------------------------------------

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  const isQuery = req.method === "POST" && url.pathname === "/" &&
    (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
  try {
    const body = await readBody(req);
    if (url.pathname.startsWith("/_fixture/")) return fixtureRoute(req, res, url.pathname, body);
    if (isQuery) return queryRoute(req, res, new URLSearchParams(body.toString("utf8")));
    return await lambdaRoute(req, res, regionOf(req), url.pathname, body);
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 500;
    const code = err instanceof ApiError ? err.code : "ServiceException";
    if (!(err instanceof ApiError)) console.error("control-plane:", err);
    if (res.headersSent) return res.end();
    if (isQuery) return sendXmlError(res, status, code, err.message);
    return sendJson(res, status, { Type: "User", message: err.message }, { "X-Amzn-ErrorType": code });
  }
});
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const proc of liveProcesses) killTree(proc.pid);
  for (const version of codeVersions) {
    if (version.dir) rmSync(version.dir, { recursive: true, force: true });
  }
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
