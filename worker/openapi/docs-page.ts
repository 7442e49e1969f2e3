/**
 * GET /docs: the OpenAPI document rendered as one self-contained HTML page (no scripts, no
 * external assets): tags and their operations, parameters, bodies, responses with their
 * error codes, webhooks, security schemes and every schema.
 */
import type { JsonSchema, Method, OpenApiDocument, Operation, Parameter, Response } from "./document.ts";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Escaped text with `code` spans. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);
const refLink = (ref: string) => {
  const name = escapeHtml(refName(ref));
  return `<a class="ref" href="#schema-${name}">${name}</a>`;
};

const json = (value: unknown) => `<code>${escapeHtml(JSON.stringify(value))}</code>`;

/** Constraints and notes of one schema, as a short line. */
function notes(schema: JsonSchema): string {
  const parts: string[] = [];
  for (const [key, label] of [
    ["minimum", "≥"],
    ["maximum", "≤"],
    ["exclusiveMinimum", ">"],
    ["exclusiveMaximum", "<"],
    ["minLength", "min length"],
    ["maxLength", "max length"],
    ["minItems", "min items"],
    ["maxItems", "max items"],
  ] as const) {
    if (typeof schema[key] === "number") parts.push(`${label} ${schema[key]}`);
  }
  if ("default" in schema) parts.push(`default ${json(schema.default)}`);
  if (Array.isArray(schema.examples)) parts.push(`e.g. ${schema.examples.map(json).join(", ")}`);
  if (typeof schema.contentMediaType === "string") parts.push(escapeHtml(schema.contentMediaType));
  const description = typeof schema.description === "string" ? prose(schema.description) : "";
  const extra = parts.length ? `<span class="muted">${parts.join("; ")}</span>` : "";
  return [description, extra].filter(Boolean).join(" ");
}

/** A one-line type name for a schema (objects get "object" and are expanded separately). */
function typeName(schema: JsonSchema): string {
  if (typeof schema.$ref === "string") return refLink(schema.$ref);
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return union.map(typeName).join(" | ");
  if (Array.isArray(schema.allOf)) return (schema.allOf as JsonSchema[]).map(typeName).join(" & ");
  if (Array.isArray(schema.enum)) return schema.enum.map(json).join(" | ");
  if ("const" in schema) return json(schema.const);
  if (Array.isArray(schema.prefixItems))
    return `[${(schema.prefixItems as JsonSchema[]).map(typeName).join(", ")}]`;
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : schema.type
      ? [schema.type as string]
      : [];
  if (types.length === 0) return schema.properties ? "object" : "any";
  return types
    .map((t) => {
      if (t === "array" && schema.items && typeof schema.items === "object")
        return `array of ${typeName(schema.items as JsonSchema)}`;
      if (t === "object" && schema.additionalProperties && typeof schema.additionalProperties === "object")
        return `map of ${typeName(schema.additionalProperties as JsonSchema)}`;
      return escapeHtml(typeof schema.format === "string" && t !== "null" ? `${t} (${schema.format})` : t);
    })
    .join(" | ");
}

/** The object schemas to expand below a schema (itself, array items, non-null union members). */
function expandable(schema: JsonSchema): JsonSchema[] {
  if (schema.properties) return [schema];
  if (schema.items && typeof schema.items === "object") return expandable(schema.items as JsonSchema);
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return union.flatMap(expandable);
  return [];
}

function propertiesTable(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([name, property]) => {
    const nested = expandable(property)
      .map((s) => propertiesTable(s))
      .join("");
    return `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""}</td><td>${typeName(property)}</td><td>${notes(property)}${nested}</td></tr>`;
  });
  const closed = schema.additionalProperties === false ? '<p class="muted">No other fields.</p>' : "";
  return `<table class="props"><tbody>${rows.join("")}</tbody></table>${closed}`;
}

export function renderSchema(schema: JsonSchema): string {
  const head = `<p>${typeName(schema)} ${notes(schema)}</p>`;
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union?.some((s) => s.properties)) {
    const members = union.map((s) => `<li>${s.properties ? propertiesTable(s) : typeName(s)}</li>`);
    return `<p>one of: ${notes(schema)}</p><ol class="union">${members.join("")}</ol>`;
  }
  return head + expandable(schema).map(propertiesTable).join("");
}

function parametersTable(parameters: Parameter[]): string {
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ""}</td><td>${p.in}</td><td>${typeName(p.schema)}</td><td>${p.description ? prose(p.description) : ""} ${notes({ ...p.schema, description: undefined })}</td></tr>`,
  );
  return `<h4>Parameters</h4><table class="props"><thead><tr><th>name</th><th>in</th><th>type</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function contentBlock(content: Record<string, { schema: JsonSchema }>): string {
  return Object.entries(content)
    .map(
      ([type, media]) =>
        `<div class="media"><span class="mediatype">${escapeHtml(type)}</span>${
          typeof media.schema.$ref === "string"
            ? `<p>${refLink(media.schema.$ref)}</p>`
            : renderSchema(media.schema)
        }</div>`,
    )
    .join("");
}

function responseBlock(status: string, response: Response): string {
  const error = response["x-error-codes"];
  const headers = response.headers
    ? `<ul class="headers">${Object.entries(response.headers)
        .map(([name, h]) => `<li><code>${escapeHtml(name)}</code>: ${prose(h.description)}</li>`)
        .join("")}</ul>`
    : "";
  const body = error
    ? ` <span class="muted">→</span> ${error.map((c) => `<code class="code">${escapeHtml(c)}</code>`).join(" ")}`
    : response.content
      ? contentBlock(response.content)
      : "";
  const kind = status.startsWith("2") ? "ok" : status.startsWith("5") ? "fault" : "err";
  // Error descriptions end with their codes, which the page shows as chips instead.
  const cut = error ? response.description.lastIndexOf(". `error.code`:") : -1;
  const description = cut >= 0 ? response.description.slice(0, cut) : response.description;
  return `<div class="response"><span class="status ${kind}">${escapeHtml(status)}</span> ${prose(description)}${body}${headers}</div>`;
}

const SECURITY_LABEL: Record<string, string> = {
  apiKey: "API key (bearer)",
  adminToken: "admin token (bearer)",
  signedUrl: "signed URL (exp & sig)",
  callbackHmac: "HMAC-signed callback",
};

function operationBlock(method: Method, path: string, op: Operation): string {
  const security = op.security.length
    ? op.security
        .flatMap(Object.keys)
        .map(
          (name) => `<a href="#security-${escapeHtml(name)}">${escapeHtml(SECURITY_LABEL[name] ?? name)}</a>`,
        )
        .join(" or ")
    : "none";
  const body = op.requestBody
    ? `<h4>Request body${op.requestBody.required ? "" : " (optional)"}</h4>${
        op.requestBody.description ? `<p>${prose(op.requestBody.description)}</p>` : ""
      }${contentBlock(op.requestBody.content)}`
    : "";
  const responses = Object.entries(op.responses)
    .map(([status, r]) => responseBlock(status, r))
    .join("");
  return `<section class="op" id="op-${escapeHtml(op.operationId)}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code></h3>
<p class="summary">${prose(op.summary)}</p>
${op.description ? `<p>${prose(op.description)}</p>` : ""}
<p class="auth">Auth: ${security}</p>
${op.parameters?.length ? parametersTable(op.parameters) : ""}
${body}
<h4>Responses</h4>${responses}
</section>`;
}

type Entry = { method: Method; path: string; op: Operation };

function entries(paths: OpenApiDocument["paths"]): Entry[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    (Object.entries(item) as [Method, Operation][]).map(([method, op]) => ({ method, path, op })),
  );
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#6a737d;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8b949e;--bg:#0d1117;--panel:#161b22;--line:#30363d;--accent:#4493f8}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}code{font:13px/1.4 ui-monospace,monospace}
.layout{display:grid;grid-template-columns:300px 1fr;min-height:100vh}
nav{border-right:1px solid var(--line);padding:1rem;position:sticky;top:0;height:100vh;overflow:auto;background:var(--panel);font-size:13px}
nav h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:1rem 0 .25rem}
nav ul{list-style:none;margin:0;padding:0}nav li{margin:.15rem 0}nav a{text-decoration:none;color:inherit}
main{padding:1.5rem 2rem;max-width:1100px}
.op{border:1px solid var(--line);border-radius:8px;padding:0 1rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;padding:0 .4em;color:#fff;font:600 12px/1.8 ui-monospace,monospace}
.get{background:#1f883d}.post{background:#0969da}.put{background:#9a6700}.delete{background:#cf222e}
.path{font-size:15px}.summary{font-weight:600}.auth,.muted{color:var(--muted)}
table.props{border-collapse:collapse;width:100%;margin:.25rem 0}
.props td,.props th{border-top:1px solid var(--line);padding:.3rem .5rem;vertical-align:top;text-align:left}
.props .props{font-size:13px}.props td:first-child{width:28%}.props td:nth-child(2){width:22%}.req{color:#cf222e;font-size:11px}
.media{border-left:3px solid var(--line);padding-left:.75rem;margin:.5rem 0}
.mediatype{font:600 12px ui-monospace,monospace;color:var(--muted)}
.response{margin:.4rem 0}.status{font:600 13px ui-monospace,monospace;padding:0 .4em;border-radius:4px}
.status.ok{background:#dafbe1;color:#116329}.status.err{background:#fff8c5;color:#7d4e00}.status.fault{background:#ffebe9;color:#a40e26}
.code{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:0 .3em}
.schema{border:1px solid var(--line);border-radius:8px;padding:0 1rem .5rem;margin:1rem 0}
@media (max-width:800px){.layout{display:block}nav{position:static;height:auto}}
`;

export function renderDocsPage(doc: OpenApiDocument): string {
  const all = entries(doc.paths);
  const hooks = entries(doc.webhooks);
  const byTag = (tag: string, list: Entry[]) => list.filter((e) => e.op.tags.includes(tag));
  const nav = doc.tags
    .map((tag) => {
      const ops = byTag(tag.name, tag.name === "webhooks" ? hooks : all);
      const items = ops
        .map(
          (e) =>
            `<li><a href="#op-${escapeHtml(e.op.operationId)}"><span class="method ${e.method}">${e.method.toUpperCase()}</span> ${escapeHtml(e.path)}</a></li>`,
        )
        .join("");
      return `<h2><a href="#tag-${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</a></h2><ul>${items}</ul>`;
    })
    .join("");
  const sections = doc.tags
    .map((tag) => {
      const ops = byTag(tag.name, tag.name === "webhooks" ? hooks : all);
      return `<h2 id="tag-${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</h2><p>${prose(tag.description)}</p>${ops
        .map((e) => operationBlock(e.method, e.path, e.op))
        .join("")}`;
    })
    .join("");
  const security = Object.entries(doc.components.securitySchemes)
    .map(
      ([name, scheme]) =>
        `<li id="security-${escapeHtml(name)}"><strong>${escapeHtml(name)}</strong> (${escapeHtml(
          [scheme.type, scheme.scheme, scheme.in && `in ${scheme.in}`, scheme.name]
            .filter(Boolean)
            .join(", "),
        )}): ${prose(scheme.description ?? "")}</li>`,
    )
    .join("");
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, schema]) =>
        `<section class="schema" id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${renderSchema(schema)}</section>`,
    )
    .join("");
  const server = doc.servers[0]?.url ?? "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.info.title)}</title><style>${STYLE}</style></head>
<body><div class="layout">
<nav><strong>${escapeHtml(doc.info.title)}</strong><div class="muted">v${escapeHtml(doc.info.version)} · <a href="/openapi.json">openapi.json</a></div>${nav}<h2><a href="#schemas">schemas</a></h2></nav>
<main>
<h1>${escapeHtml(doc.info.title)}</h1>
<p>${prose(doc.info.description)}</p>
<p>Server: <code>${escapeHtml(server)}</code> · OpenAPI ${escapeHtml(doc.openapi)}: <a href="/openapi.json">/openapi.json</a></p>
<h2 id="security">Authentication</h2><ul>${security}</ul>
${sections}
<h2 id="schemas">Schemas</h2>${schemas}
</main></div></body></html>`;
}
