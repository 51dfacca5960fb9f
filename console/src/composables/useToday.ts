import { api, ok } from '@/api/client'
import { todayInBeijing } from '@/utils/format'

// one GET /api/v1/clock a minute at most, shared by every screen and component that asks
const KEPT_MS = 60_000
let asked: Promise<string> | null = null
let askedAt = 0

/** The system's today in Beijing (its clock, which an admin may move in DEMO_MODE: GET /api/v1/clock),
 * the day the services judge dates on; the browser's day only if the system cannot say (then asked
 * again next time). Kept a minute: a tab left open past midnight, or while an admin moves the clock
 * elsewhere, takes the new day at its next default (the admin's own tab at once: forgetSystemToday). */
export function systemToday(): Promise<string> {
  if (asked && Date.now() - askedAt > KEPT_MS) asked = null
  if (!asked) askedAt = Date.now()
  asked ??= ok(api.GET('/api/v1/clock')).then((c) => {
    if (!c.today) throw new Error('the clock answered no today')
    return c.today
  })
  return asked.catch(() => { asked = null; return todayInBeijing() })
}

/** The system's year (of systemToday), for a year filter's default. */
export async function systemYear(): Promise<number> {
  return Number((await systemToday()).slice(0, 4))
}

/** The clock was moved (the admin's clock screen): the next systemToday() asks again. */
export function forgetSystemToday(): void {
  asked = null
}

/** A year filter's default to the system's year: `target[key]` (a reactive's field or a ref's
 * value, first the browser's year) becomes it, unless the user changed the year meanwhile. */
export async function defaultToSystemYear<K extends string>(target: Record<K, number | undefined>, key: K): Promise<void> {
  const before = target[key]
  const year = await systemYear()
  if (target[key] === before) target[key] = year
}
