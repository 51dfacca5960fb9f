// The API reference at /api/docs: Swagger UI from npm's swagger-ui-dist, copied into the build
// (served by the gateway from this origin: no CDN, no inline script).
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))
const dist = resolve(here, '..', 'dist', 'api-docs')
const swagger = dirname(require.resolve('swagger-ui-dist/package.json'))
mkdirSync(dist, { recursive: true })
for (const f of ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']) copyFileSync(resolve(swagger, f), resolve(dist, f))
writeFileSync(resolve(dist, 'index.html'), `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>接口文档 · 北京市技能大师工作室 API</title>
<link rel="icon" href="/api/docs/favicon-32x32.png"><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body></html>
`)
writeFileSync(resolve(dist, 'init.js'), `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui',
  deepLinking: true, persistAuthorization: false, tryItOutEnabled: false });
`)
console.log('api-docs: swagger-ui copied to dist/api-docs')
