// Gatepost's Node.js runtime interface client: runs one Lambda function's handler, unchanged, against the
// Lambda Runtime API (2018-06-01) at AWS_LAMBDA_RUNTIME_API, as AWS's own client (npm aws-lambda-ric)
// does, so either can be started the same way: `node runner.mjs index.handler` in the function's folder.
//   GET  /runtime/invocation/next            -> the event, and the request id / deadline / ARN headers
//   POST /runtime/invocation/{id}/response   <- the handler's result
//   POST /runtime/invocation/{id}/error      <- {errorType, errorMessage, stackTrace} of what it threw
//   POST /runtime/init/error                 <- the handler could not be loaded; then exit
// The handler may be async, return a promise, or take a callback; CommonJS or ES module.
import http from "node:http";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { join } from "node:path";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerSpec = process.argv[2] || process.env._HANDLER;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const headers = data ? { "content-type": "application/json", "content-length": data.length } : {};
    const req = http.request({ host, port, method, path: `/2018-06-01/runtime${path}`, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function loadHandler() {
  const dot = handlerSpec.lastIndexOf(".");
  const modulePath = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const file = join(root, modulePath + ext);
    if (existsSync(file)) {
      const mod = await import(pathToFileURL(file).href);
      const fn = mod[exportName] ?? mod.default?.[exportName];
      if (typeof fn !== "function") {
        throw Object.assign(new Error(`${modulePath}.${exportName} is undefined or not exported`),
                            { name: "Runtime.HandlerNotFound" });
      }
      return fn;
    }
  }
  throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
}

function invoke(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, result) => (err ? reject(err) : resolve(result));
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === "function") out.then(resolve, reject);
      else if (fn.length < 3) resolve(out);
    } catch (err) {
      reject(err);
    }
  });
}

const errorBody = (err) => JSON.stringify(err instanceof Error
  ? { errorType: err.name, errorMessage: err.message, stackTrace: (err.stack || "").split("\n").slice(1) }
  : { errorType: "string", errorMessage: String(err), stackTrace: [] });

function contextFor(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const parse = (h) => (h ? JSON.parse(h) : undefined);
  return {
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parse(headers["lambda-runtime-client-context"]),
    identity: parse(headers["lambda-runtime-cognito-identity"]),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true, done() {}, succeed() {}, fail() {},
  };
}

let handler;
try {
  handler = await loadHandler();
} catch (err) {
  await call("POST", "/init/error", errorBody(err));
  process.exit(1);
}
for (;;) {
  const next = await call("GET", "/invocation/next");
  if (next.status !== 200) process.exit(1);  // the Runtime API is going away
  const id = next.headers["lambda-runtime-aws-request-id"];
  process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"] || "";
  try {
    const result = await invoke(handler, JSON.parse(next.body.toString("utf8")), contextFor(next.headers));
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result));
  } catch (err) {
    await call("POST", `/invocation/${id}/error`, errorBody(err));
  }
}
