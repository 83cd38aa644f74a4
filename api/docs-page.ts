import type { OpenApiDocument } from './openapi';

/**
 * /docs: the OpenAPI document as one plain HTML page (no scripts, nothing fetched): each operation with its
 * parameters, body schema and answers. Rendered once at start-up.
 */

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

type Json = Record<string, unknown>;

function schemaBlock(schema: unknown): string {
  if (!schema) return '';
  return `<details><summary>Schema</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;
}

export function renderDocsPage(doc: OpenApiDocument): string {
  const sections: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, raw] of Object.entries(item as Json)) {
      const op = raw as Json;
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
      toc.push(
        `<li><a href="#${esc(id)}"><code>${esc(method.toUpperCase())} ${esc(path)}</code></a> ${esc(op.summary ?? '')}</li>`,
      );
      const params = ((op.parameters as Json[] | undefined) ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(
              (p.description as string | undefined) ??
                ((p.schema as Json | undefined)?.description as string | undefined) ??
                '',
            )}</td></tr>`,
        )
        .join('');
      const requestBody = op.requestBody as Json | undefined;
      const bodySchema = (requestBody?.content as Json | undefined)?.['application/json'] as Json | undefined;
      const responses = Object.entries(op.responses as Json)
        .map(([status, r]) => {
          const resp = r as Json;
          const content = resp.content as Json | undefined;
          const [type, media] = content ? (Object.entries(content)[0] as [string, Json]) : [undefined, undefined];
          return `<li><strong>${esc(status)}</strong> ${esc(resp.description ?? '')}${type ? ` <code>${esc(type)}</code>` : ''}${schemaBlock(media?.schema)}</li>`;
        })
        .join('');
      const security = (op.security as Json[] | undefined)?.map((s) => Object.keys(s).join(' + ')).join(' or ');
      sections.push(`<section id="${esc(id)}">
<h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>
<p>${esc(op.summary ?? '')}</p>
${op.description ? `<p>${esc(op.description)}</p>` : ''}
${security ? `<p>Authentication: ${esc(security)}</p>` : ''}
${params ? `<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr></thead><tbody>${params}</tbody></table>` : ''}
${bodySchema ? `<h4>Request body</h4>${schemaBlock(bodySchema.schema)}` : ''}
<h4>Answers</h4><ul>${responses}</ul>
</section>`);
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f4f4f4;padding:.75rem;overflow:auto}
section{border-top:1px solid #ddd;padding-top:1rem;margin-top:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
</style>
</head>
<body>
<main>
<h1>${esc(doc.info.title)}</h1>
<p>${esc(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code>: <code>{ type, title, status, detail, errors: [{ field, message }] }</code>. The repair page is at <a href="/console/">/console/</a>.</p>
<h2>Operations</h2>
<ul>${toc.join('')}</ul>
${sections.join('\n')}
</main>
</body>
</html>`;
}
