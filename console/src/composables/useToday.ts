import { api, ok } from '@/api/client'
import { todayInBeijing } from '@/utils/format'

/** The system's today in Beijing (its clock, which an admin may move in DEMO_MODE: GET /api/v1/clock),
 * the day the services judge dates on; the browser's day only if the system cannot say. */
export async function systemToday(): Promise<string> {
  try {
    return (await ok(api.GET('/api/v1/clock'))).today || todayInBeijing()
  } catch {
    return todayInBeijing()
  }
}
