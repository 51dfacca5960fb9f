// The typed API client: generated types (src/api/schema.d.ts, from the gateway's OpenAPI
// document at build time) + openapi-fetch. A route the console calls that changes shape or goes
// away fails the type check, and so the build.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

export type { paths, components } from './schema'

export const TOKEN_KEY = 'skillmaster.token'
export const PRINCIPAL_KEY = 'skillmaster.principal'

let onUnauthorized: () => void = () => {}
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn
}

export function bearer(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY)
  return token ? { Authorization: `Bearer ${token}` } : {}
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = sessionStorage.getItem(TOKEN_KEY)
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    return request
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !request.url.endsWith('/api/v1/auth/token')) onUnauthorized()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(auth)

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  rule?: string
  errors?: Record<string, unknown>
  [key: string]: unknown
}

export class ApiError extends Error {
  constructor(public status: number, public problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`)
  }
}

/** The data of an openapi-fetch answer, or an ApiError carrying the problem+json body. */
export async function ok<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending
  if (!response.ok || error !== undefined) {
    const problem = (typeof error === 'object' && error) ? (error as Problem) : { detail: String(error ?? '') }
    if (response.status === 401) onUnauthorized()
    throw new ApiError(response.status, problem)
  }
  return data as T
}

/** A new Idempotency-Key for one user action (the same key is sent again on a retry). */
export function idempotencyKey(): string {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`
}

/** Downloads a file (an .xlsx export, a template, a material) with the bearer token. */
export async function download(url: string): Promise<void> {
  const response = await fetch(url, { headers: bearer() })
  if (!response.ok) {
    if (response.status === 401) onUnauthorized()
    let problem: Problem = {}
    try { problem = await response.json() } catch { /* not JSON */ }
    throw new ApiError(response.status, problem)
  }
  const disposition = response.headers.get('Content-Disposition') || ''
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  const plain = /filename="([^"]+)"/i.exec(disposition)
  const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : url.split('/').pop() || 'download'
  const blob = await response.blob()
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
}

export interface UploadResult { status: number; body: any }

/** Uploads one file (multipart field ``file``) reporting progress 0..100; resolves with any status. */
export function upload(url: string, file: File, onProgress: (percent: number) => void,
  headers: Record<string, string> = {}): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', url)
    for (const [k, v] of Object.entries({ ...bearer(), ...headers })) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100)) }
    xhr.onload = () => {
      let body: any = null
      try { body = JSON.parse(xhr.responseText) } catch { body = { detail: xhr.responseText } }
      if (xhr.status === 401) onUnauthorized()
      onProgress(100)
      resolve({ status: xhr.status, body })
    }
    xhr.onerror = () => reject(new ApiError(0, { detail: '网络错误，上传未完成' }))
    const form = new FormData()
    form.append('file', file)
    xhr.send(form)
  })
}
