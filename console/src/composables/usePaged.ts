import { reactive, shallowRef, type Ref } from 'vue'
import { showError } from '@/utils/errors'

export interface Page<T> { items?: T[]; total?: number; page?: number; page_size?: number; pages?: number }

/** A paged, filterable list: ``load`` gets page, page_size and the filters (empty ones left out). */
export function usePaged<T, F extends Record<string, unknown>>(
  load: (query: Record<string, any>) => Promise<Page<T>>, filters: F, pageSize = 20) {
  const items: Ref<T[]> = shallowRef<T[]>([])
  const state = reactive({ page: 1, pageSize, total: 0, loading: false, loaded: false })
  async function reload(page = state.page) {
    state.loading = true
    state.page = page
    try {
      const query: Record<string, any> = { page: state.page, page_size: state.pageSize }
      for (const [k, v] of Object.entries(filters)) if (v !== '' && v !== null && v !== undefined) query[k] = v
      const answer = await load(query)
      items.value = answer.items || []
      state.total = answer.total ?? items.value.length
    } catch (e) {
      items.value = []
      state.total = 0
      showError(e)
    } finally {
      state.loading = false
      state.loaded = true
    }
  }
  return { items, state, reload, filters }
}
