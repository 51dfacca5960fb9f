import { ref } from 'vue'
import { api, ok } from '@/api/client'
import { showError } from '@/utils/errors'

export interface TenantRow { id?: string; name?: string; kind?: string }

/** The tenants the caller can see (city roles: all), for filters and names. */
export function useTenants() {
  const tenants = ref<TenantRow[]>([])
  async function loadTenants() {
    try {
      tenants.value = (await ok(api.GET('/api/v1/tenants', { params: { query: { page_size: 500 } } }))).items || []
    } catch (e) { showError(e) }
    return tenants.value
  }
  const tenantName = (id?: string | null) => tenants.value.find((t) => t.id === id)?.name || id || '—'
  return { tenants, loadTenants, tenantName }
}
