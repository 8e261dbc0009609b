// Gatepost's Node.js runner: runs one Lambda function's handler, unchanged, for the gateway.
// stdin: one JSON request per line {id, event, context}; stdout: one JSON answer per line
// {id, result} or {id, error: {errorType, errorMessage}}. The handler may be async, return a promise,
// or take a callback (callback-style handlers get `callback(error, result)`), CommonJS or ES module.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { join } from "node:path";

const [root, handlerSpec] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf(".");
const modulePath = handlerSpec.slice(0, dot);
const exportName = handlerSpec.slice(dot + 1);

async function loadHandler() {
  for (const ext of [".js", ".mjs", ".cjs"]) {
    const file = join(root, modulePath + ext);
    if (existsSync(file)) {
      const mod = await import(pathToFileURL(file).href);
      const fn = mod[exportName] ?? mod.default?.[exportName];
      if (typeof fn !== "function") throw new Error(`${file} exports no function ${exportName}`);
      return fn;
    }
  }
  throw new Error(`no ${modulePath}.js, .mjs or .cjs in ${root}`);
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

const write = (answer) => process.stdout.write(JSON.stringify(answer) + "\n");
const handlerPromise = loadHandler();
const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const { id, event, context: raw } = JSON.parse(line);
  const deadline = Date.now() + raw.remainingMs;
  const context = { ...raw, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
                    callbackWaitsForEmptyEventLoop: true, done() {}, succeed() {}, fail() {} };
  try {
    const result = await invoke(await handlerPromise, event, context);
    write({ id, result: result === undefined ? null : result });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const type = err instanceof Error ? err.name : "Error";
    write({ id, error: { errorType: type, errorMessage: message } });
  }
});
