import { ref } from 'vue'
import { api, ok } from '@/api/client'

// One shared unread count for the header badge (refreshed on login, on navigation, after marking read).
const count = ref(0)
async function refresh() {
  try {
    const page: any = await ok(api.GET('/api/v1/me/notifications', { params: { query: { page: 1, page_size: 1, unread_only: true } as any } }))
    count.value = page.unread ?? page.total ?? 0
  } catch { /* the badge is a hint; a failure leaves it as it was */ }
}
export function useUnread() { return { count, refresh } }
