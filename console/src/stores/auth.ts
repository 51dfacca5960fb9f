import { defineStore } from 'pinia'
import { PRINCIPAL_KEY, TOKEN_KEY } from '@/api/client'

export interface Principal { user: string; role: string; tenant_id?: string | null; unit_id?: string | null }

function stored(): Principal | null {
  try { return JSON.parse(sessionStorage.getItem(PRINCIPAL_KEY) || 'null') } catch { return null }
}

/** The session: the token lives in sessionStorage (this tab only) and is dropped on any 401. */
export const useAuth = defineStore('auth', {
  state: () => ({ token: sessionStorage.getItem(TOKEN_KEY) || '', principal: stored() as Principal | null,
    /** the session ended by a 401 (not by the user): the login page says so */
    expired: false }),
  getters: {
    loggedIn: (s) => !!s.token && !!s.principal,
    role: (s) => s.principal?.role || '',
  },
  actions: {
    signIn(token: string, principal: Principal) {
      sessionStorage.setItem(TOKEN_KEY, token)
      sessionStorage.setItem(PRINCIPAL_KEY, JSON.stringify(principal))
      this.token = token
      this.principal = principal
      this.expired = false
    },
    expire() {
      this.signOut()
      this.expired = true
    },
    signOut() {
      sessionStorage.removeItem(TOKEN_KEY)
      sessionStorage.removeItem(PRINCIPAL_KEY)
      this.token = ''
      this.principal = null
    },
    can(roles?: readonly string[]) {
      return !roles || roles.includes(this.role)
    },
  },
})
