// Prints the gzipped JavaScript (and CSS) of the initial load of the login page and of the
// dashboard, from the build's manifest: the entry, the screen's lazy chunk (and the layout's)
// and every chunk they import statically. Target: JS < 500 KB gzipped. Run after `npm run build`.
import { readFileSync } from 'node:fs'
import { resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const manifest = JSON.parse(readFileSync(resolve(dist, '.vite', 'manifest.json'), 'utf8'))
const LIMIT_KB = 500

function closure(keys) {
  const seen = new Set()
  const walk = (key) => {
    if (seen.has(key)) return
    seen.add(key)
    for (const dep of manifest[key]?.imports || []) walk(dep)
  }
  keys.forEach(walk)
  return [...seen]
}

function measure(name, keys) {
  const chunks = closure(keys)
  let js = 0, jsRaw = 0, css = 0
  const files = new Set()
  for (const key of chunks) {
    const chunk = manifest[key]
    if (!chunk) throw new Error(`not in the manifest: ${key}`)
    files.add(chunk.file)
    for (const c of chunk.css || []) files.add(c)
  }
  for (const file of files) {
    const bytes = readFileSync(resolve(dist, file))
    const gz = gzipSync(bytes, { level: 9 }).length
    if (file.endsWith('.js')) { js += gz; jsRaw += bytes.length } else css += gz
  }
  const ok = js / 1024 < LIMIT_KB
  console.log(`${name.padEnd(10)} JS ${(js / 1024).toFixed(1).padStart(7)} KB gzipped (${(jsRaw / 1024).toFixed(1)} KB raw, ${[...files].filter((f) => f.endsWith('.js')).length} files)` +
    `   CSS ${(css / 1024).toFixed(1)} KB gzipped   ${ok ? 'OK' : 'OVER'} (< ${LIMIT_KB} KB)`)
  return ok
}

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry)
const results = [
  measure('login', [entry, 'src/views/LoginView.vue']),
  measure('dashboard', [entry, 'src/views/LayoutView.vue', 'src/views/DashboardView.vue']),
]
process.exit(results.every(Boolean) ? 0 : 1)
