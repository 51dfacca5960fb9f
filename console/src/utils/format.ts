// Display rules: money is stored in fen and shown in 元 with two decimals and thousands
// separators; times are shown in Beijing time.
const BEIJING = 'Asia/Shanghai'

export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return '—'
  const negative = fen < 0
  const abs = Math.abs(Math.trunc(fen))
  const whole = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = (abs % 100).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${cents}`
}

/** "1,234.56" or "1234.5" (元, as typed) → integer fen; null when not a number. */
export function toFen(text: string | number | null | undefined): number | null {
  if (text === null || text === undefined) return null
  const clean = String(text).replace(/[,，\s元]/g, '')
  if (!/^\d+(\.\d{0,2})?$/.test(clean)) return null
  const [whole, frac = ''] = clean.split('.')
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2))
}

const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: BEIJING, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
})
const dateOnly = new Intl.DateTimeFormat('zh-CN', { timeZone: BEIJING, year: 'numeric', month: '2-digit', day: '2-digit' })

function parts(fmt: Intl.DateTimeFormat, d: Date): Record<string, string> {
  return Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]))
}

/** A date-time in Beijing time (YYYY-MM-DD HH:mm); a plain date (YYYY-MM-DD) is shown as it is. */
export function beijing(value: string | null | undefined): string {
  if (!value) return '—'
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : value + 'Z')
  if (Number.isNaN(d.getTime())) return value
  const p = parts(dateTime, d)
  return `${p.year}-${p.month}-${p.day} ${p.hour === '24' ? '00' : p.hour}:${p.minute}`
}

export function beijingDate(value: string | null | undefined): string {
  if (!value) return '—'
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  const p = parts(dateOnly, d)
  return `${p.year}-${p.month}-${p.day}`
}

export function todayInBeijing(): string {
  return beijingDate(new Date().toISOString())
}

/** The browser's year in Beijing: a year filter's first value until the system's comes (useToday). */
export function yearInBeijing(): number {
  return Number(todayInBeijing().slice(0, 4))
}
