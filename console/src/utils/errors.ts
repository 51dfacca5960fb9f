import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'

const STATUS_WORDS: Record<number, string> = {
  0: '网络错误', 400: '请求有误', 401: '登录已失效，请重新登录', 403: '无权进行此操作', 404: '未找到', 409: '状态冲突',
  413: '文件或内容过大', 415: '文件类型不符', 422: '校验未通过', 503: '服务暂不可用，请稍后重试',
}

export function describe(e: unknown, withFields = true): string {
  if (e instanceof ApiError) {
    const head = STATUS_WORDS[e.status] || `错误 ${e.status}`
    const rule = e.problem.rule ? `（规则 ${e.problem.rule}）` : ''
    const fields = withFields && e.problem.errors ? Object.entries(flatten(e.problem.errors)).map(([k, v]) => `${k}: ${v}`).join('；') : ''
    return [head + rule, e.problem.detail, fields].filter(Boolean).join('：')
  }
  return e instanceof Error ? e.message : String(e)
}

export function showError(e: unknown) {
  if (e instanceof ApiError && e.status === 401) return  // the login page says it
  ElMessage({ type: 'error', message: describe(e), duration: 6000, showClose: true })
}

/** {"master": {"name": "..."}} → {"master.name": "..."} (field errors are nested as the body is). */
export function flatten(errors: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [k, v] of Object.entries(errors as Record<string, unknown>)) Object.assign(out, flatten(v, prefix ? `${prefix}.${k}` : k))
  } else if (Array.isArray(errors)) {
    if (errors.every((x) => typeof x === 'string')) out[prefix] = errors.join('；')
    else errors.forEach((v, i) => Object.assign(out, flatten(v, `${prefix}[${i}]`)))
  } else if (errors !== undefined && errors !== null) {
    out[prefix] = String(errors)
  }
  return out
}
