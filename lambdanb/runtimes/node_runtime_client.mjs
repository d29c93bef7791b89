// lambdanb's Node.js runtime client: polls Lambda's Runtime API for events, runs the handler, posts the result,
// and writes console output in the Node.js runtime's format.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";
let requestId = undefined;

function call(method, route, body = "", headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path: base + route, agent, headers: { ...headers, "Content-Length": Buffer.byteLength(body) } },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      });
    request.on("error", reject);
    request.end(body);
  });
}

function write(level, args) {
  const text = util.format(...args).replaceAll("\n", "\r");
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${text}\n`);
}
for (const [method, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"],
  ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  console[method] = (...args) => write(level, args);
}

function describe(error, fallbackType = "Error") {
  if (error instanceof Error) {
    return { errorType: error.name || fallbackType, errorMessage: error.message,
      trace: (error.stack || "").split("\n") };
  }
  return { errorType: typeof error === "string" ? "string" : fallbackType, errorMessage: String(error), trace: [] };
}

async function failInit(errorType, errorMessage, trace = []) {
  const payload = { errorType, errorMessage, trace };
  write("ERROR", [`Init Error \t${JSON.stringify(payload)}`]);
  await call("POST", "/init/error", JSON.stringify(payload), { "Lambda-Runtime-Function-Error-Type": errorType });
  process.exit(1);
}

async function loadHandler() {
  const handlerSetting = process.env._HANDLER || "index.handler";
  const dot = handlerSetting.lastIndexOf(".");
  const moduleName = handlerSetting.slice(0, dot);
  const functionName = handlerSetting.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT;
  const file = [".js", ".mjs", ".cjs"].map((ext) => path.join(root, moduleName + ext)).find((f) => fs.existsSync(f));
  if (dot < 1 || !file) {
    return failInit("Runtime.ImportModuleError", `Error: Cannot find module '${moduleName}'`);
  }
  let loaded;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    const type = error instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : "Runtime.ImportModuleError";
    return failInit(type, `${error.name}: ${error.message}`, (error.stack || "").split("\n"));
  }
  const handler = loaded[functionName] ?? loaded.default?.[functionName];
  if (typeof handler !== "function") {
    return failInit("Runtime.HandlerNotFound", `${moduleName}.${functionName} is undefined or not exported`);
  }
  return handler;
}

function run(handler, event, context) {
  if (handler.length >= 3) {  // callback style: handler(event, context, callback)
    return new Promise((resolve, reject) => {
      const returned = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
      if (returned && typeof returned.then === "function") returned.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

const handler = await loadHandler();
for (;;) {
  const next = await call("GET", "/invocation/next");
  requestId = next.headers["lambda-runtime-aws-request-id"];
  const deadline = Number(next.headers["lambda-runtime-deadline-ms"]);
  process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"];
  const context = {
    awsRequestId: requestId,
    invokedFunctionArn: next.headers["lambda-runtime-invoked-function-arn"],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    identity: next.headers["lambda-runtime-cognito-identity"] ? JSON.parse(next.headers["lambda-runtime-cognito-identity"]) : undefined,
    clientContext: next.headers["lambda-runtime-client-context"] ? JSON.parse(next.headers["lambda-runtime-client-context"]) : undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
  try {
    const event = JSON.parse(next.body);
    const result = await run(handler, event, context);
    await call("POST", `/invocation/${requestId}/response`, JSON.stringify(result === undefined ? null : result));
  } catch (error) {
    const payload = describe(error);
    write("ERROR", [`Invoke Error \t${JSON.stringify(payload)}`]);
    await call("POST", `/invocation/${requestId}/error`, JSON.stringify(payload),
      { "Lambda-Runtime-Function-Error-Type": payload.errorType });
  }
}
