import { defineStore } from 'pinia'
import { api, ok, PRINCIPAL_KEY, TOKEN_KEY } from '@/api/client'

export interface Principal { user: string; role: string; tenant_id?: string | null; unit_id?: string | null
  /** from GET /api/v1/me (the login answers ids only); null when the registry could not say */
  tenant_name?: string | null; unit_name?: string | null }

function stored(): Principal | null {
  try { return JSON.parse(sessionStorage.getItem(PRINCIPAL_KEY) || 'null') } catch { return null }
}

/** Kept across a page load: a 401 that ends the session while the tab is loading another page
 * (a reload, a typed address) still tells the login page why. */
const EXPIRED_KEY = 'skillmaster.expired'

/** The session: the token lives in sessionStorage (this tab only) and is dropped on any 401. */
export const useAuth = defineStore('auth', {
  state: () => ({ token: sessionStorage.getItem(TOKEN_KEY) || '', principal: stored() as Principal | null,
    /** the session ended by a 401 (not by the user): the login page says so */
    expired: sessionStorage.getItem(EXPIRED_KEY) === '1' }),
  getters: {
    loggedIn: (s) => !!s.token && !!s.principal,
    role: (s) => s.principal?.role || '',
    /** where the user works, by name: the unit, else the tenant, else the city (an id only if its name is unknown) */
    scope: (s) => {
      const p = s.principal
      if (p?.unit_id) return p.unit_name || p.unit_id
      if (p?.tenant_id) return p.tenant_name || p.tenant_id
      return '全市'
    },
  },
  actions: {
    signIn(token: string, principal: Principal) {
      sessionStorage.setItem(TOKEN_KEY, token)
      sessionStorage.setItem(PRINCIPAL_KEY, JSON.stringify(principal))
      sessionStorage.removeItem(EXPIRED_KEY)
      this.token = token
      this.principal = principal
      this.expired = false
    },
    /** Reads the names of the user's tenant and unit (GET /api/v1/me); a failure leaves the ids shown. */
    async loadNames() {
      if (!this.principal || (!this.principal.tenant_id && !this.principal.unit_id)) return
      try {
        const me = await ok(api.GET('/api/v1/me'))
        if (!this.principal || me.user !== this.principal.user) return
        this.principal = { ...this.principal, tenant_name: me.tenant_name ?? null, unit_name: me.unit_name ?? null }
        sessionStorage.setItem(PRINCIPAL_KEY, JSON.stringify(this.principal))
      } catch { /* the header falls back to the ids */ }
    },
    expire() {
      this.signOut()
      this.expired = true
      sessionStorage.setItem(EXPIRED_KEY, '1')
    },
    signOut() {
      sessionStorage.removeItem(TOKEN_KEY)
      sessionStorage.removeItem(PRINCIPAL_KEY)
      sessionStorage.removeItem(EXPIRED_KEY)
      this.token = ''
      this.principal = null
      this.expired = false
    },
    can(roles?: readonly string[]) {
      return !roles || roles.includes(this.role)
    },
  },
})
